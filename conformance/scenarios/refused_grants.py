"""A grant's requests the target must refuse: fields missing, a wrong password, an
unknown user, a client not allowed the grant, codes and refresh tokens never issued."""

from __future__ import annotations

from typing import TYPE_CHECKING

from conformance.errors import Skipped
from conformance.exchange import Exchange
from conformance.scenarios.base import (
    BOTH,
    USER_UNDER_RFC6749,
    expecting,
    near_misses,
    password_form,
    random_value,
    scenario,
    with_scope,
)
from conformance.vocabulary import CODE, PW, RT

if TYPE_CHECKING:
    from conformance.run_context import RunContext


@scenario("password_missing_fields", contracts=BOTH)
def password_missing_fields(ctx: RunContext) -> list[Exchange]:
    expects = expecting(ctx, "PASSWORD-FIELDS-REQUIRED")
    # Under RFC 6749 each field is left out beside a value no user has (a password, a user
    # name), so no real user's failed-login counter moves. The platform's contract (spec
    # section 2, CMN_90013 / CMN_90014) is judged on both fields, next to the configured
    # ones.
    platform = ctx.settings.platform
    password = (ctx.settings.password or "") if platform else random_value("Passw0rd")
    no_username = {"grant_type": PW, "password": password}
    sent = [
        ctx.send(
            "password_missing_fields", "no-username", form=no_username, grant=PW, expects=expects
        )
    ]
    # A login without a password may count as a failed one: the platform's configured user
    # is sent only within the lock-out cap; under RFC 6749 a user no target has.
    if platform and not ctx.try_wrong_password_attempt():
        return sent
    username = (ctx.settings.username or "") if platform else random_value("unknown-user")
    no_password = {"grant_type": PW, "username": username}
    sent.append(
        ctx.send(
            "password_missing_fields", "no-password", form=no_password, grant=PW, expects=expects
        )
    )
    return sent


@scenario("password_wrong", contracts=BOTH, needs_under=USER_UNDER_RFC6749)
def password_wrong(ctx: RunContext) -> list[Exchange]:
    ctx.take_wrong_password_attempt("password_wrong")
    form = {**password_form(ctx), "password": random_value("Wrong-Passw0rd")}
    expects = expecting(ctx, "PASSWORD-WRONG-401")
    return [ctx.send("password_wrong", "wrong-password", form=form, grant=PW, expects=expects)]


@scenario("password_near_miss")
def password_near_miss(ctx: RunContext) -> list[Exchange]:
    """The configured password truncated, case-changed, extended and emptied (D28). Each
    is a failed login of the configured user: all are reserved against the cap, or none
    is sent."""
    form = password_form(ctx)
    variants = near_misses(form["password"])
    ctx.take_wrong_password_attempt("password_near_miss", len(variants))
    return [
        ctx.send("password_near_miss", label, form={**form, "password": value}, grant=PW)
        for label, value in variants.items()
    ]


@scenario("password_unknown_user")
def password_unknown_user(ctx: RunContext) -> list[Exchange]:
    form = {
        "grant_type": PW,
        "username": random_value("unknown-user"),
        "password": random_value("Passw0rd"),
    }
    return [ctx.send("password_unknown_user", "unknown-user", form=form, grant=PW)]


@scenario("password_username_case")
def password_username_case(ctx: RunContext) -> list[Exchange]:
    # D28, case only: a truncated or extended name could be another person's account,
    # and would get this user's password; a case-changed one is this account or none.
    form = password_form(ctx)
    changed = form["username"].swapcase()
    if changed == form["username"]:
        raise Skipped("the configured user name has no letter whose case can change")
    form["username"] = changed
    return [ctx.send("password_username_case", "case-changed", form=form, grant=PW)]


@scenario(
    "restricted_password",
    needs="restricted_client",
    contracts=BOTH,
    needs_under=USER_UNDER_RFC6749,
)
def restricted_password(ctx: RunContext) -> list[Exchange]:
    """The restricted client, not allowed the password grant, tries it."""
    return [
        ctx.send(
            "restricted_password",
            "password",
            form=password_form(ctx),
            grant=PW,
            auth=ctx.settings.client("restricted"),
            expects=expecting(ctx, "CLIENT-GRANT-FORBIDDEN-403"),
        )
    ]


@scenario("code_missing", contracts=BOTH)
def code_missing(ctx: RunContext) -> list[Exchange]:
    return [ctx.send("code_missing", "no-code", form={"grant_type": CODE}, grant=CODE)]


@scenario("code_invalid", contracts=BOTH)
def code_invalid(ctx: RunContext) -> list[Exchange]:
    form = {"grant_type": CODE, "code": random_value("never-issued")}
    return [ctx.send("code_invalid", "never-issued", form=form, grant=CODE)]


@scenario("refresh_missing", contracts=BOTH)
def refresh_missing(ctx: RunContext) -> list[Exchange]:
    return [ctx.send("refresh_missing", "no-refresh-token", form={"grant_type": RT}, grant=RT)]


@scenario("refresh_unknown", contracts=BOTH)
def refresh_unknown(ctx: RunContext) -> list[Exchange]:
    # Under RFC 6749 with the configured scope, as a client refreshing its tokens sends
    # it: the token alone must decide the answer.
    form = with_scope(ctx, {"grant_type": RT, "refresh_token": random_value("never-issued")})
    expects = expecting(ctx, "REFRESH-INVALID-STATUS")
    return [ctx.send("refresh_unknown", "never-issued", form=form, grant=RT, expects=expects)]
