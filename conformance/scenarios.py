"""Scenarios: the requests the suite sends, each a short named sequence.

A scenario sends through the run's `Sender` and returns what it recorded; checks then
judge the recordings. Scenarios never judge. Each exchange carries the grant it
exercised and, where the contract documents the exact answer, the requirement whose
expectation applies (`expects`), for the ERR-CODE check.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from conformance.exchange import Exchange
from conformance.sender import new_transaction_id
from conformance.settings import Client

if TYPE_CHECKING:
    from conformance.run import RunContext

CC = "client_credentials"
PW = "password"
CODE = "authorization_code"
RT = "refresh_token"


@dataclass(frozen=True)
class Scenario:
    """A named sequence of requests. `phase` "property" ones generate input (schemathesis,
    hypothesis): they run after the others, within the phase's time budget, one at a
    time, except those `alongside` the others (they mostly wait for the target), which
    take turns with them to generate (`sender.Turns`)."""

    name: str
    run: Callable[[RunContext], list[Exchange]]
    needs: str | None = None
    phase: str = "scenario"
    contract: str = "platform"  # or "rfc6749": the contract whose checks read it
    alongside: bool = False
    # "client" / "user": sent first, and the run stops if the target refuses the
    # configured credentials in it (`RunContext.check_credentials`)
    preflight: str | None = None


SCENARIOS: dict[str, Scenario] = {}


def scenario(
    name: str,
    needs: str | None = None,
    phase: str = "scenario",
    contract: str = "platform",
    *,
    alongside: bool = False,
    preflight: str | None = None,
) -> Callable[[Callable[[RunContext], list[Exchange]]], Callable[[RunContext], list[Exchange]]]:
    """Register a scenario under `name`; `needs` names the role it cannot run without."""

    def decorate(
        function: Callable[[RunContext], list[Exchange]],
    ) -> Callable[[RunContext], list[Exchange]]:
        if name in SCENARIOS:
            raise ValueError(f"scenario {name} registered twice")
        SCENARIOS[name] = Scenario(name, function, needs, phase, contract, alongside, preflight)
        return function

    return decorate


def random_value(prefix: str) -> str:
    """A value no target has seen: `prefix-<16 hex digits>`."""
    return f"{prefix}-{secrets.token_hex(8)}"


def cc_form() -> dict[str, str]:
    return {"grant_type": CC}


def password_form(ctx: RunContext) -> dict[str, str]:
    return {
        "grant_type": PW,
        "username": ctx.settings.username or "",
        "password": ctx.settings.password or "",
    }


def refresh_token_of(exchange: Exchange) -> str | None:
    value = (exchange.body_object() or {}).get("refresh_token") if exchange.issued_token() else None
    return value if isinstance(value, str) and value else None


# --- valid requests --------------------------------------------------------------


@scenario("cc_success", preflight="client")
def cc_success(ctx: RunContext) -> list[Exchange]:
    return [ctx.send("cc_success", f"token-{i}", form=cc_form(), grant=CC) for i in range(2)]


@scenario("password_success", needs="user", preflight="user")
def password_success(ctx: RunContext) -> list[Exchange]:
    return [ctx.send("password_success", "token", form=password_form(ctx), grant=PW)]


@scenario("auth_special", needs="special_client")
def auth_special(ctx: RunContext) -> list[Exchange]:
    return [
        ctx.send(
            "auth_special", "token", form=cc_form(), auth=ctx.settings.client("special"), grant=CC
        )
    ]


# --- the correlation header ----------------------------------------------------


@scenario("txid_echo")
def txid_echo(ctx: RunContext) -> list[Exchange]:
    """One request at a time, nothing else in flight: a 200, a 401, a 400 and a revocation."""
    with ctx.sender.gate.exclusive():
        sent = [
            ctx.send("txid_echo", "token", form=cc_form(), grant=CC),
            ctx.send(
                "txid_echo", "no-auth", form=cc_form(), auth=None, grant=CC, expects="AUTH-MISSING"
            ),
            ctx.send(
                "txid_echo",
                "unsupported-grant",
                form={"grant_type": "implicit"},
                expects="GRANT-UNSUPPORTED",
            ),
        ]
        if ctx.settings.revoke_path:
            sent.append(
                ctx.send(
                    "txid_echo",
                    "revoke-unknown",
                    method="DELETE",
                    operation="revoke",
                    form={"token": random_value("never-issued")},
                    institution=None,
                )
            )
    return sent


@scenario("txid_missing")
def txid_missing(ctx: RunContext) -> list[Exchange]:
    return [
        ctx.send(
            "txid_missing",
            "no-header",
            form=cc_form(),
            transaction_id=None,
            grant=CC,
            expects="TXID-REQUIRED",
        )
    ]


@scenario("txid_invalid")
def txid_invalid(ctx: RunContext) -> list[Exchange]:
    return [
        ctx.send(
            "txid_invalid",
            "not-a-uuid",
            form=cc_form(),
            transaction_id="not-a-uuid-12345",
            grant=CC,
            expects="TXID-FORMAT",
        )
    ]


@scenario("txid_case")
def txid_case(ctx: RunContext) -> list[Exchange]:
    return [
        ctx.send(
            "txid_case",
            spelling,
            form=cc_form(),
            transaction_id=None,
            grant=CC,
            extra_headers=[(spelling, new_transaction_id())],
        )
        for spelling in ("transactionid", "TRANSACTIONID")
    ]


@scenario("txid_concurrent")
def txid_concurrent(ctx: RunContext) -> list[Exchange]:
    count = ctx.settings.concurrency
    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [
            pool.submit(ctx.send, "txid_concurrent", f"request-{i}", form=cc_form(), grant=CC)
            for i in range(count)
        ]
        return [f.result() for f in futures]


# --- institution ------------------------------------------------------------------


@scenario("institution_missing")
def institution_missing(ctx: RunContext) -> list[Exchange]:
    return [
        ctx.send(
            "institution_missing",
            grant,
            form=form,
            institution=None,
            grant=grant,
            expects="INST-REQUIRED",
        )
        for grant, form in ((CC, cc_form()), (PW, password_form(ctx)))
    ]


@scenario("institution_invalid")
def institution_invalid(ctx: RunContext) -> list[Exchange]:
    return [
        ctx.send(
            "institution_invalid",
            grant,
            form=form,
            institution="not-an-institution",
            grant=grant,
            expects="INST-INVALID",
        )
        for grant, form in ((CC, cc_form()), (PW, password_form(ctx)))
    ]


# --- client authentication -------------------------------------------------------


@scenario("auth_missing")
def auth_missing(ctx: RunContext) -> list[Exchange]:
    return [
        ctx.send(
            "auth_missing", "no-header", form=cc_form(), auth=None, grant=CC, expects="AUTH-MISSING"
        )
    ]


@scenario("auth_malformed")
def auth_malformed(ctx: RunContext) -> list[Exchange]:
    no_colon = "Basic " + base64.b64encode(b"client-without-colon").decode()
    variants = {
        "not-basic": "Bearer not-a-client-credential",
        "not-base64": "Basic !!not*base64!!",
        "no-colon": no_colon,
    }
    return [
        ctx.send(
            "auth_malformed", label, form=cc_form(), auth=value, grant=CC, expects="AUTH-MALFORMED"
        )
        for label, value in variants.items()
    ]


@scenario("auth_wrong_secret")
def auth_wrong_secret(ctx: RunContext) -> list[Exchange]:
    main = ctx.settings.client()
    wrong = Client(main.client_id if main else "", random_value("wrong-secret"))
    return [
        ctx.send(
            "auth_wrong_secret",
            "wrong-secret",
            form=cc_form(),
            auth=wrong,
            grant=CC,
            expects="AUTH-WRONG-SECRET",
        )
    ]


@scenario("auth_unknown_client")
def auth_unknown_client(ctx: RunContext) -> list[Exchange]:
    unknown = Client(random_value("unknown-client"), random_value("secret"))
    return [
        ctx.send(
            "auth_unknown_client",
            "unknown",
            form=cc_form(),
            auth=unknown,
            grant=CC,
            expects="AUTH-UNKNOWN-CLIENT",
        )
    ]


# --- request hygiene ----------------------------------------------------------------


@scenario("grant_missing")
def grant_missing(ctx: RunContext) -> list[Exchange]:
    return [
        ctx.send(
            "grant_missing",
            "no-grant-type",
            form={"username": ctx.settings.username or "x"},
            expects="GRANT-MISSING",
        )
    ]


@scenario("grant_unsupported")
def grant_unsupported(ctx: RunContext) -> list[Exchange]:
    return [
        ctx.send(
            "grant_unsupported", value, form={"grant_type": value}, expects="GRANT-UNSUPPORTED"
        )
        for value in ("implicit", "urn:ietf:params:oauth:grant-type:device_code")
    ]


@scenario("body_not_form")
def body_not_form(ctx: RunContext) -> list[Exchange]:
    # Garbage is binary with no '=' or '&', so no parser, however lenient, finds a grant in it.
    cases = {
        "json": (b'{"grant_type": "client_credentials"}', "application/json"),
        "empty": (b"", "application/x-www-form-urlencoded"),
        "garbage": (
            bytes(range(0x80, 0xA0)) + b"\x00\x01\xfe\xff",
            "application/x-www-form-urlencoded",
        ),
    }
    return [
        ctx.send("body_not_form", label, body=body, content_type=media, expects="BODY-NOT-FORM")
        for label, (body, media) in cases.items()
    ]


@scenario("method_not_post")
def method_not_post(ctx: RunContext) -> list[Exchange]:
    sent = [
        ctx.send(
            "method_not_post",
            "GET",
            method="GET",
            params=cc_form(),
            content_type=None,
            operation="other",
        )
    ]
    sent += [
        ctx.send("method_not_post", method, method=method, form=cc_form(), operation="other")
        for method in ("PUT", "PATCH", "DELETE")
    ]
    return sent


@scenario("param_repeated")
def param_repeated(ctx: RunContext) -> list[Exchange]:
    form = [("grant_type", CC), ("grant_type", CC)]
    return [
        ctx.send(
            "param_repeated", "grant_type-twice", form=form, grant=CC, expects="PARAM-REPEATED"
        )
    ]


@scenario("scopes_unknown")
def scopes_unknown(ctx: RunContext) -> list[Exchange]:
    scope = {"scopes": "conformance:not-a-scope"}
    return [
        ctx.send(
            "scopes_unknown", grant, form={**form, **scope}, grant=grant, expects="SCOPES-UNKNOWN"
        )
        for grant, form in ((CC, cc_form()), (PW, password_form(ctx)))
    ]


# --- the password grant -----------------------------------------------------------


@scenario("password_missing_fields")
def password_missing_fields(ctx: RunContext) -> list[Exchange]:
    no_username = {"grant_type": PW, "password": ctx.settings.password or ""}
    sent = [
        ctx.send(
            "password_missing_fields",
            "no-username",
            form=no_username,
            grant=PW,
            expects="PASSWORD-FIELDS-REQUIRED",
        )
    ]
    # A login without a password may count as a failed one: only within the lock-out cap.
    if ctx.try_wrong_password_attempt():
        no_password = {"grant_type": PW, "username": ctx.settings.username or ""}
        sent.append(
            ctx.send(
                "password_missing_fields",
                "no-password",
                form=no_password,
                grant=PW,
                expects="PASSWORD-FIELDS-REQUIRED",
            )
        )
    return sent


@scenario("password_wrong")
def password_wrong(ctx: RunContext) -> list[Exchange]:
    ctx.take_wrong_password_attempt("password_wrong")
    form = {**password_form(ctx), "password": random_value("Wrong-Passw0rd")}
    return [
        ctx.send(
            "password_wrong", "wrong-password", form=form, grant=PW, expects="PASSWORD-WRONG-401"
        )
    ]


@scenario("password_unknown_user")
def password_unknown_user(ctx: RunContext) -> list[Exchange]:
    form = {
        "grant_type": PW,
        "username": random_value("unknown-user"),
        "password": random_value("Passw0rd"),
    }
    return [ctx.send("password_unknown_user", "unknown-user", form=form, grant=PW)]


@scenario("restricted_password", needs="restricted_client")
def restricted_password(ctx: RunContext) -> list[Exchange]:
    return [
        ctx.send(
            "restricted_password",
            "password",
            form=password_form(ctx),
            grant=PW,
            auth=ctx.settings.client("restricted"),
            expects="CLIENT-GRANT-FORBIDDEN-403",
        )
    ]


# --- the authorization_code grant -------------------------------------------------


@scenario("code_missing")
def code_missing(ctx: RunContext) -> list[Exchange]:
    return [ctx.send("code_missing", "no-code", form={"grant_type": CODE}, grant=CODE)]


@scenario("code_invalid")
def code_invalid(ctx: RunContext) -> list[Exchange]:
    form = {"grant_type": CODE, "code": random_value("never-issued")}
    return [ctx.send("code_invalid", "never-issued", form=form, grant=CODE)]


@scenario("code_flow", needs="auth_code")
def code_flow(ctx: RunContext) -> list[Exchange]:
    form = {"grant_type": CODE, "code": ctx.fetch_auth_code()}
    first = ctx.send("code_flow", "exchange", form=form, grant=CODE)
    if not first.issued_token():
        return [first]
    return [first, ctx.send("code_flow", "reuse", form=form, grant=CODE)]


# --- the refresh_token grant and revocation ------------------------------------------


@scenario("refresh_missing")
def refresh_missing(ctx: RunContext) -> list[Exchange]:
    return [ctx.send("refresh_missing", "no-refresh-token", form={"grant_type": RT}, grant=RT)]


@scenario("refresh_unknown")
def refresh_unknown(ctx: RunContext) -> list[Exchange]:
    form = {"grant_type": RT, "refresh_token": random_value("never-issued")}
    return [
        ctx.send(
            "refresh_unknown", "never-issued", form=form, grant=RT, expects="REFRESH-INVALID-STATUS"
        )
    ]


def _refresh(
    ctx: RunContext, name: str, label: str, token: str, client: Client | None = None
) -> Exchange:
    form = {"grant_type": RT, "refresh_token": token}
    if client is None:
        return ctx.send(name, label, form=form, grant=RT)
    return ctx.send(name, label, form=form, grant=RT, auth=client)


def _login(ctx: RunContext, name: str) -> tuple[Exchange, str | None]:
    setup = ctx.send(name, "password-setup", form=password_form(ctx), grant=PW)
    return setup, refresh_token_of(setup)


@scenario("refresh_rotation")
def refresh_rotation(ctx: RunContext) -> list[Exchange]:
    setup, old = _login(ctx, "refresh_rotation")
    if old is None:
        return [setup]
    refreshed = _refresh(ctx, "refresh_rotation", "refresh", old)
    new = refresh_token_of(refreshed)
    if new is None or new == old:
        return [setup, refreshed]  # nothing was rotated out, so there is nothing to reuse
    return [setup, refreshed, _refresh(ctx, "refresh_rotation", "reuse", old)]


@scenario("refresh_foreign", needs="second_client")
def refresh_foreign(ctx: RunContext) -> list[Exchange]:
    setup, token = _login(ctx, "refresh_foreign")
    if token is None:
        return [setup]
    return [
        setup,
        _refresh(ctx, "refresh_foreign", "other-client", token, ctx.settings.client("second")),
    ]


@scenario("revoke_flow", needs="revocation")
def revoke_flow(ctx: RunContext) -> list[Exchange]:
    setup, token = _login(ctx, "revoke_flow")
    if token is None:
        return [setup]
    revoke = ctx.send(
        "revoke_flow",
        "revoke",
        method="DELETE",
        operation="revoke",
        form={"token": token},
        institution=None,
    )
    if revoke.status is None or not 200 <= revoke.status < 300:
        return [setup, revoke]
    return [setup, revoke, _refresh(ctx, "revoke_flow", "after-revoke", token)]
