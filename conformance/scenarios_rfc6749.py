"""The rfc6749 profile's scenarios: RFC 6749 requests, with no platform header.

The same registry as `conformance.scenarios` (names start with `rfc_`), read by the
checks in `conformance.checks.rfc6749`. Client authentication is HTTP Basic (2.3.1),
bodies are form-urlencoded (3.2), and the `scope` setting rides along with every
client_credentials and password request, since some servers require a scope.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from conformance.contract import RFC6749
from conformance.errors import Skipped
from conformance.exchange import Exchange
from conformance.scenarios import CC, CODE, PW, RT, random_value, refresh_token_of, scenario
from conformance.settings import Client

if TYPE_CHECKING:
    from conformance.run import RunContext

UNKNOWN_SCOPE = "conformance-unknown-scope"
EXTRA_SCOPE = "conformance-extra-scope"


def rfc_scenario(
    name: str, needs: str | None = None, preflight: str | None = None
) -> Callable[[Callable[[RunContext], list[Exchange]]], Callable[[RunContext], list[Exchange]]]:
    """Register a scenario of the rfc6749 profile."""
    return scenario(name, needs, contract=RFC6749, preflight=preflight)


def with_scope(ctx: RunContext, form: dict[str, str], scope: str | None = None) -> dict[str, str]:
    """`form` with `scope` (default: the scope setting) when there is one."""
    value = ctx.settings.scope if scope is None else scope
    return {**form, "scope": value} if value else form


def cc_form(ctx: RunContext) -> dict[str, str]:
    return with_scope(ctx, {"grant_type": CC})


def password_form(ctx: RunContext) -> dict[str, str]:
    form = {
        "grant_type": PW,
        "username": ctx.settings.username or "",
        "password": ctx.settings.password or "",
    }
    return with_scope(ctx, form)


def _login(ctx: RunContext, name: str) -> tuple[Exchange, str | None]:
    setup = ctx.send(name, "password-setup", form=password_form(ctx), grant=PW)
    return setup, refresh_token_of(setup)


def _refresh(
    ctx: RunContext,
    name: str,
    label: str,
    token: str,
    *,
    scope: str | None = None,
    auth: Client | None = None,
) -> Exchange:
    form = {"grant_type": RT, "refresh_token": token}
    if scope is not None:
        form["scope"] = scope
    if auth is None:  # the main client
        return ctx.send(name, label, form=form, grant=RT)
    return ctx.send(name, label, form=form, grant=RT, auth=auth)


# --- the grants, as a client uses them --------------------------------------------


@rfc_scenario("rfc_cc", preflight="client")
def rfc_cc(ctx: RunContext) -> list[Exchange]:
    return [ctx.send("rfc_cc", f"token-{i}", form=cc_form(ctx), grant=CC) for i in range(2)]


@rfc_scenario("rfc_password", needs="user", preflight="user")
def rfc_password(ctx: RunContext) -> list[Exchange]:
    return [ctx.send("rfc_password", "token", form=password_form(ctx), grant=PW)]


@rfc_scenario("rfc_code_flow", needs="auth_code")
def rfc_code_flow(ctx: RunContext) -> list[Exchange]:
    form = {"grant_type": CODE, "code": ctx.fetch_auth_code()}
    if ctx.settings.redirect_uri:  # 4.1.3: required when the authorization request had one
        form["redirect_uri"] = ctx.settings.redirect_uri
    first = ctx.send("rfc_code_flow", "exchange", form=form, grant=CODE)
    if not first.issued_token():
        return [first]
    return [first, ctx.send("rfc_code_flow", "reuse", form=form, grant=CODE)]


@rfc_scenario("rfc_refresh", needs="user")
def rfc_refresh(ctx: RunContext) -> list[Exchange]:
    setup, old = _login(ctx, "rfc_refresh")
    if old is None:
        return [setup]
    refreshed = _refresh(ctx, "rfc_refresh", "refresh", old)
    new = refresh_token_of(refreshed)
    if new is None or new == old:
        return [setup, refreshed]
    # Rotation (RFC 6749 6, MAY): does the old refresh token still work afterwards?
    return [setup, refreshed, _refresh(ctx, "rfc_refresh", "reuse-old", old)]


@rfc_scenario("rfc_refresh_scope", needs="user")
def rfc_refresh_scope(ctx: RunContext) -> list[Exchange]:
    setup, token = _login(ctx, "rfc_refresh_scope")
    if token is None:
        return [setup]
    granted = (setup.body_object() or {}).get("scope")
    base = granted if isinstance(granted, str) and granted else ctx.settings.scope or ""
    wider = f"{base} {EXTRA_SCOPE}".strip()
    return [setup, _refresh(ctx, "rfc_refresh_scope", "wider-scope", token, scope=wider)]


@rfc_scenario("rfc_refresh_foreign", needs="second_client")
def rfc_refresh_foreign(ctx: RunContext) -> list[Exchange]:
    if ctx.roles().get("user"):
        raise Skipped(f"a refresh token comes from the password grant: {ctx.roles()['user']}")
    setup, token = _login(ctx, "rfc_refresh_foreign")
    if token is None:
        return [setup]
    second = ctx.settings.client("second")
    return [setup, _refresh(ctx, "rfc_refresh_foreign", "other-client", token, auth=second)]


@rfc_scenario("rfc_auth_special", needs="special_client")
def rfc_auth_special(ctx: RunContext) -> list[Exchange]:
    special = ctx.settings.client("special")
    return [ctx.send("rfc_auth_special", "token", form=cc_form(ctx), auth=special, grant=CC)]


@rfc_scenario("rfc_restricted", needs="restricted_client")
def rfc_restricted(ctx: RunContext) -> list[Exchange]:
    if ctx.roles().get("user"):
        raise Skipped(f"the restricted client tries the password grant: {ctx.roles()['user']}")
    restricted = ctx.settings.client("restricted")
    form = password_form(ctx)
    return [ctx.send("rfc_restricted", "password", form=form, auth=restricted, grant=PW)]


# --- what the server must refuse -------------------------------------------------


@rfc_scenario("rfc_refresh_unknown")
def rfc_refresh_unknown(ctx: RunContext) -> list[Exchange]:
    form = {"grant_type": RT, "refresh_token": random_value("never-issued")}
    return [ctx.send("rfc_refresh_unknown", "never-issued", form=form, grant=RT)]


@rfc_scenario("rfc_code_invalid")
def rfc_code_invalid(ctx: RunContext) -> list[Exchange]:
    form = {"grant_type": CODE, "code": random_value("never-issued")}
    return [ctx.send("rfc_code_invalid", "never-issued", form=form, grant=CODE)]


@rfc_scenario("rfc_field_missing")
def rfc_field_missing(ctx: RunContext) -> list[Exchange]:
    # No username, and a random password: no real user's failed-login counter moves.
    forms = {
        "no-code": ({"grant_type": CODE}, CODE),
        "no-refresh-token": ({"grant_type": RT}, RT),
        "no-username": ({"grant_type": PW, "password": random_value("Passw0rd")}, PW),
    }
    return [
        ctx.send("rfc_field_missing", label, form=form, grant=grant)
        for label, (form, grant) in forms.items()
    ]


@rfc_scenario("rfc_password_wrong", needs="user")
def rfc_password_wrong(ctx: RunContext) -> list[Exchange]:
    ctx.take_wrong_password_attempt("rfc_password_wrong")
    form = {**password_form(ctx), "password": random_value("Wrong-Passw0rd")}
    return [ctx.send("rfc_password_wrong", "wrong-password", form=form, grant=PW)]


@rfc_scenario("rfc_auth_missing")
def rfc_auth_missing(ctx: RunContext) -> list[Exchange]:
    return [ctx.send("rfc_auth_missing", "no-header", form=cc_form(ctx), auth=None, grant=CC)]


@rfc_scenario("rfc_auth_wrong_secret")
def rfc_auth_wrong_secret(ctx: RunContext) -> list[Exchange]:
    wrong = Client(ctx.settings.client_id or "", random_value("wrong-secret"))
    form = cc_form(ctx)
    return [ctx.send("rfc_auth_wrong_secret", "wrong-secret", form=form, auth=wrong, grant=CC)]


@rfc_scenario("rfc_auth_unknown_client")
def rfc_auth_unknown_client(ctx: RunContext) -> list[Exchange]:
    unknown = Client(random_value("unknown-client"), random_value("secret"))
    form = cc_form(ctx)
    return [ctx.send("rfc_auth_unknown_client", "unknown", form=form, auth=unknown, grant=CC)]


@rfc_scenario("rfc_two_auth")
def rfc_two_auth(ctx: RunContext) -> list[Exchange]:
    # RFC 6749 2.3: Basic and client_secret_post together are two methods in one request.
    body = {
        **cc_form(ctx),
        "client_id": ctx.settings.client_id or "",
        "client_secret": ctx.settings.client_secret or "",
    }
    return [ctx.send("rfc_two_auth", "basic-and-body", form=body, grant=CC)]


@rfc_scenario("rfc_grant_missing")
def rfc_grant_missing(ctx: RunContext) -> list[Exchange]:
    # 3.2: a parameter sent without a value is treated as omitted.
    return [
        ctx.send("rfc_grant_missing", "omitted", body=b""),
        ctx.send("rfc_grant_missing", "empty", form={"grant_type": ""}),
    ]


@rfc_scenario("rfc_grant_unsupported")
def rfc_grant_unsupported(ctx: RunContext) -> list[Exchange]:
    form = {"grant_type": "urn:example:conformance:unsupported-grant"}
    return [ctx.send("rfc_grant_unsupported", "unknown-grant", form=form)]


@rfc_scenario("rfc_param_repeated")
def rfc_param_repeated(ctx: RunContext) -> list[Exchange]:
    form = [("grant_type", CC), ("grant_type", CC)]
    return [ctx.send("rfc_param_repeated", "grant_type-twice", form=form, grant=CC)]


@rfc_scenario("rfc_unknown_param")
def rfc_unknown_param(ctx: RunContext) -> list[Exchange]:
    form = {**cc_form(ctx), "conformance_unrecognized": "ignored"}
    return [ctx.send("rfc_unknown_param", "unrecognized", form=form, grant=CC)]


@rfc_scenario("rfc_method_get")
def rfc_method_get(ctx: RunContext) -> list[Exchange]:
    return [
        ctx.send(
            "rfc_method_get",
            "GET",
            method="GET",
            params=cc_form(ctx),
            content_type=None,
            operation="other",
        )
    ]


@rfc_scenario("rfc_body_json")
def rfc_body_json(ctx: RunContext) -> list[Exchange]:
    body = json.dumps(cc_form(ctx)).encode()
    return [ctx.send("rfc_body_json", "json", body=body, content_type="application/json", grant=CC)]


@rfc_scenario("rfc_scope_unknown")
def rfc_scope_unknown(ctx: RunContext) -> list[Exchange]:
    scope = f"{ctx.settings.scope or ''} {UNKNOWN_SCOPE}".strip()
    form = with_scope(ctx, {"grant_type": CC}, scope)
    return [ctx.send("rfc_scope_unknown", "unknown-scope", form=form, grant=CC)]
