"""The reference counts failed logins per user, as an identity provider's lock-out
counter would (`FailedLogins`): only password-grant requests that reach the user's
credentials and are refused for them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from conformance.reference import Accounts, ReferenceServer, create_app, default_accounts
from conformance.reference.accounts import Institution, User

from .conftest import EDITIONS
from .helpers import (
    AUTHORIZE,
    CLIENT,
    FRESH,
    INSTITUTION,
    RESTRICTED,
    TOKEN,
    USER,
    Api,
    Credentials,
    assert_cmn_error,
    basic,
    new_txid,
)

WRONG = "Not-The-Passw0rd"
# A user of another institution than every client's: the grant never looks them up.
FOREIGN_USER = ("foreign-user", "Foreign-Passw0rd!")
SECOND_USER = ("second-user", "Second-Passw0rd!")

Counts = dict[str, int]


def _accounts() -> Accounts:
    base = default_accounts()
    return Accounts(
        institutions=(*base.institutions, Institution("00042")),
        clients=base.clients,
        users=(
            *base.users,
            User(*SECOND_USER, INSTITUTION),
            User(*FOREIGN_USER, "00042"),
        ),
    )


@pytest.fixture(scope="module", params=EDITIONS)
def api(request: pytest.FixtureRequest) -> Iterator[Api]:
    """A client of a reference server with two users of the clients' institution."""
    with ReferenceServer(accounts=_accounts(), edition=request.param) as server:
        client = Api(server)
        yield client
        client.close()


def _new_failures(api: Api, send: Callable[[], httpx.Response]) -> tuple[httpx.Response, Counts]:
    """The answer to `send()` and the failed logins the server counted meanwhile."""
    before = api.server.failed_logins()
    response = send()
    after = api.server.failed_logins()
    return response, {
        name: count - before.get(name, 0)
        for name, count in after.items()
        if count != before.get(name, 0)
    }


def _password(
    api: Api,
    username: str,
    password: str | None,
    *,
    client: Credentials = CLIENT,
    txid: str | None = FRESH,
    scopes: str | None = None,
) -> Callable[[], httpx.Response]:
    """A password-grant request to send; a None password leaves the field out."""
    form = {"grant_type": "password", "username": username}
    if password is not None:
        form["password"] = password
    if scopes is not None:
        form["scopes"] = scopes
    return lambda: api.send(TOKEN, headers=api.headers(client, txid=txid), form=form)


# --- what counts ----------------------------------------------------------------------


def test_failed_logins__wrong_password_counts_once(api: Api) -> None:
    response, counted = _new_failures(api, _password(api, USER[0], WRONG))
    assert_cmn_error(response, 401, "CMN_90015")
    assert counted == {USER[0]: 1}


def test_failed_logins__empty_password_counts(api: Api) -> None:
    response, counted = _new_failures(api, _password(api, USER[0], ""))
    assert_cmn_error(response, 400, "CMN_90014")
    assert counted == {USER[0]: 1}


def test_failed_logins__missing_password_field_counts(api: Api) -> None:
    response, counted = _new_failures(api, _password(api, USER[0], None))
    assert_cmn_error(response, 400, "CMN_90014")
    assert counted == {USER[0]: 1}


def test_failed_logins__each_attempt_counts_for_its_own_user(api: Api) -> None:
    def three() -> httpx.Response:
        api.token("password", username=USER[0], password=WRONG)
        api.token("password", username=SECOND_USER[0], password=WRONG)
        return api.token("password", username=USER[0], password=WRONG)

    _, counted = _new_failures(api, three)
    assert counted == {USER[0]: 2, SECOND_USER[0]: 1}


def test_failed_logins__wrong_password_counts_although_the_scope_is_refused_too(
    api: Api,
) -> None:
    # The user's credentials are judged before the requested scopes.
    send = _password(api, USER[0], WRONG, scopes="admin")
    response, counted = _new_failures(api, send)
    assert_cmn_error(response, 401, "CMN_90015")
    assert counted == {USER[0]: 1}


def test_failed_logins__concurrent_wrong_logins_all_count(api: Api) -> None:
    wrong, right = 40, 10

    async def one(client: httpx.AsyncClient, password: str) -> int:
        headers = {
            "transactionId": new_txid(),
            "Authorization": basic(CLIENT),
            "institutionId": INSTITUTION,
        }
        form = {"grant_type": "password", "username": USER[0], "password": password}
        response = await client.post(TOKEN, headers=headers, data=form)
        return response.status_code

    async def all_at_once() -> list[int]:
        limits = httpx.Limits(max_connections=wrong + right)
        async with httpx.AsyncClient(base_url=api.server.url, limits=limits) as client:
            passwords = [WRONG] * wrong + [USER[1]] * right
            return await asyncio.gather(*(one(client, p) for p in passwords))

    before = api.server.failed_logins().get(USER[0], 0)
    statuses = asyncio.run(all_at_once())
    assert sorted(statuses) == [200] * right + [401] * wrong
    assert api.server.failed_logins()[USER[0]] - before == wrong


def test_failed_logins__counted_in_edition_rfc6749_too() -> None:
    with ReferenceServer(edition="rfc6749") as server:
        api = Api(server)
        try:
            response = api.token("password", username=USER[0], password=WRONG)
        finally:
            api.close()
        assert response.status_code == 400  # RFC 6749 5.2 invalid_grant
        assert server.failed_logins() == {USER[0]: 1}


# --- what does not count --------------------------------------------------------------


def test_failed_logins__a_correct_login_does_not_count(api: Api) -> None:
    response, counted = _new_failures(api, api.password_grant)
    assert response.status_code == 200, response.text
    assert counted == {}


def test_failed_logins__a_correct_login_with_a_refused_scope_does_not_count(api: Api) -> None:
    send = _password(api, *USER, scopes="admin")
    response, counted = _new_failures(api, send)
    assert_cmn_error(response, 400, "CMN_90012")
    assert counted == {}


def test_failed_logins__an_unknown_user_does_not_count(api: Api) -> None:
    response, counted = _new_failures(api, _password(api, "nobody", WRONG))
    assert_cmn_error(response, 401, "CMN_90015")
    assert counted == {}


@pytest.mark.parametrize("password", [None, "", FOREIGN_USER[1], WRONG])
def test_failed_logins__a_user_of_another_institution_does_not_count(
    api: Api, password: str | None
) -> None:
    # The client's institution has no such user: nothing there to lock.
    response, counted = _new_failures(api, _password(api, FOREIGN_USER[0], password))
    assert response.status_code in (400, 401)
    assert counted == {}


def test_failed_logins__wrong_client_credentials_and_wrong_password_do_not_count(
    api: Api,
) -> None:
    # Refused at client authentication, before the user is looked at.
    send = _password(api, USER[0], WRONG, client=(CLIENT[0], "wrong-secret"))
    response, counted = _new_failures(api, send)
    assert_cmn_error(response, 401)
    assert counted == {}


def test_failed_logins__a_request_without_transaction_id_does_not_count(api: Api) -> None:
    send = _password(api, USER[0], WRONG, txid=None)
    response, counted = _new_failures(api, send)
    assert_cmn_error(response, 400)
    assert counted == {}


_WRONG_LOGIN = {"username": USER[0], "password": WRONG}


@pytest.mark.parametrize(
    "send",
    [
        pytest.param(
            lambda api: api.token("password", client=None, **_WRONG_LOGIN), id="no-client"
        ),
        pytest.param(
            lambda api: api.token("password", institution=None, **_WRONG_LOGIN),
            id="no-institution-id",
        ),
        pytest.param(
            lambda api: api.token("password", institution="99999", **_WRONG_LOGIN),
            id="unknown-institution-id",
        ),
        pytest.param(
            lambda api: api.token("password", client=RESTRICTED, **_WRONG_LOGIN),
            id="client-not-allowed-the-grant",
        ),
        pytest.param(lambda api: api.token("passwd", **_WRONG_LOGIN), id="unknown-grant-type"),
        pytest.param(lambda api: api.token(None, **_WRONG_LOGIN), id="no-grant-type"),
        pytest.param(
            lambda api: api.send(
                TOKEN,
                content=b'{"grant_type": "password", "username": "reference-user", '
                b'"password": "Not-The-Passw0rd"}',
                content_type="application/json",
            ),
            id="json-body",
        ),
        pytest.param(lambda api: api.token("password", password=WRONG), id="no-username"),
    ],
)
def test_failed_logins__requests_refused_before_the_user_is_judged_do_not_count(
    api: Api, send: Callable[[Api], httpx.Response]
) -> None:
    response, counted = _new_failures(api, lambda: send(api))
    assert 400 <= response.status_code < 500, response.text
    assert counted == {}


def test_failed_logins__a_wrong_password_at_the_authorize_route_does_not_count(
    api: Api,
) -> None:
    # A reference-only route, no password grant: no real target has it to count.
    form = {"username": USER[0], "password": WRONG}
    send = lambda: api.send(AUTHORIZE, headers=api.headers(institution=None), form=form)  # noqa: E731
    response, counted = _new_failures(api, send)
    assert_cmn_error(response, 401, "CMN_90015")
    assert counted == {}


# --- under faults: what the faulty server accepts is no failed login ------------------


def _faulty(fault: str) -> ReferenceServer:
    return ReferenceServer(faults={fault})


def test_failed_logins__password_not_checked_accepts_a_wrong_password_uncounted() -> None:
    with _faulty("password-not-checked") as server:
        api = Api(server)
        try:
            response = api.token("password", username=USER[0], password=WRONG)
        finally:
            api.close()
        assert response.status_code == 200, response.text
        assert server.failed_logins() == {}


def test_failed_logins__password_field_optional_accepts_a_missing_password_uncounted() -> None:
    with _faulty("password-field-optional") as server:
        api = Api(server)
        try:
            missing = api.token("password", username=USER[0])
            empty = api.token("password", username=USER[0], password="")
        finally:
            api.close()
        assert missing.status_code == 200, missing.text
        # The fault lets the field be left out, not be empty: that is still refused.
        assert_cmn_error(empty, 400, "CMN_90014")
        assert server.failed_logins() == {USER[0]: 1}


def test_failed_logins__password_grant_broken_refuses_a_correct_login_uncounted() -> None:
    # The credentials were right; the grant refuses afterwards.
    with _faulty("password-grant-broken") as server:
        api = Api(server)
        try:
            response = api.password_grant()
        finally:
            api.close()
        assert_cmn_error(response, 403, "CMN_90006")
        assert server.failed_logins() == {}


# --- where the count can be read ------------------------------------------------------


def test_failed_logins__the_server_hands_out_a_copy(api: Api) -> None:
    api.token("password", username=USER[0], password=WRONG)
    copy = api.server.failed_logins()
    copy[USER[0]] = -1
    copy["invented"] = 7
    assert api.server.failed_logins()[USER[0]] >= 1
    assert "invented" not in api.server.failed_logins()


def test_failed_logins__readable_when_the_served_app_is_wrapped() -> None:
    server = ReferenceServer()
    inner = server.app

    async def wrapper(scope: Scope, receive: Receive, send: Send) -> None:
        await inner(scope, receive, send)

    server.app = wrapper  # type: ignore[assignment]
    with server:
        api = Api(server)
        try:
            api.token("password", username=USER[0], password=WRONG)
        finally:
            api.close()
        assert server.failed_logins() == {USER[0]: 1}


def test_failed_logins__on_the_state_of_an_app_from_create_app() -> None:
    app = create_app()

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://reference") as client:
            headers = {
                "transactionId": new_txid(),
                "Authorization": basic(CLIENT),
                "institutionId": INSTITUTION,
            }
            form = {"grant_type": "password", "username": USER[0], "password": WRONG}
            return await client.post(TOKEN, headers=headers, data=form)

    response = asyncio.run(call())
    assert response.status_code == 401
    assert app.state.reference.failed_logins.counts() == {USER[0]: 1}
