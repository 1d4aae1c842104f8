"""Each named fault visibly changes the behaviour it targets (a light check).

For every fault, a probe sends requests crafted for that fault and reduces the
answers to an observation; the faulted server's observation must differ from the
clean server's. The conformance suite's own tests check the faults in depth.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from conformance.reference import FAULTS, ReferenceServer

from .helpers import (
    CLIENT,
    FRESH,
    INSTITUTION,
    RESTRICTED,
    SECOND,
    SPECIAL,
    TOKEN,
    USER,
    Api,
    Credentials,
    basic,
    new_txid,
)

Probe = Callable[[Api], object]
OTHER_INSTITUTION = "00023"  # in the default accounts; no client belongs to it
# The platform's faults; the rfc6749-only ones are probed in test_rfc6749_edition.py.
PLATFORM_FAULTS = sorted(name for name, fault in FAULTS.items() if fault.requirement is not None)


def _status(response: httpx.Response) -> int:
    return response.status_code


def _cc(
    api: Api,
    *,
    client: Credentials | None = CLIENT,
    txid: str | None = FRESH,
    institution: str | None = INSTITUTION,
) -> httpx.Response:
    return api.token("client_credentials", client=client, txid=txid, institution=institution)


def _concurrent_ids_echoed(api: Api) -> bool:
    """Whether 20 concurrent requests all got their own id back (up to three rounds)."""

    async def one(client: httpx.AsyncClient) -> bool:
        txid = new_txid()
        headers = {"transactionId": txid, "Authorization": basic(CLIENT), "institutionId": "00016"}
        response = await client.post(
            TOKEN, headers=headers, data={"grant_type": "client_credentials"}
        )
        return bool(response.headers.get("transactionId") == txid)

    async def round_() -> bool:
        async with httpx.AsyncClient(base_url=api.server.url, timeout=10.0) as client:
            return all(await asyncio.gather(*(one(client) for _ in range(20))))

    return all(asyncio.run(round_()) for _ in range(3))


def _refresh_reuse(api: Api) -> int:
    old = api.password_tokens()["refresh_token"]
    api.refresh(old)
    return api.refresh(old).status_code


def _revoked_refresh(api: Api) -> int:
    refresh_token = api.password_tokens()["refresh_token"]
    api.revoke(refresh_token)
    return api.refresh(refresh_token).status_code


def _code_reuse(api: Api) -> int:
    code = api.code()
    api.exchange(code)
    return api.exchange(code).status_code


def _code_burst(api: Api) -> tuple[int, int]:
    """(tokens from five simultaneous exchanges of one code, status of a later reuse)."""
    code = api.code()
    with ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(lambda _: api.exchange(code), range(5)))
    return sum(a.status_code == 200 for a in answers), api.exchange(code).status_code


def _refresh_burst(api: Api) -> tuple[int, int]:
    """(tokens from five simultaneous uses of one refresh token, status of a later reuse)."""
    token = api.password_tokens()["refresh_token"]
    with ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(lambda _: api.refresh(token), range(5)))
    return sum(a.status_code == 200 for a in answers), api.refresh(token).status_code


def _id_token_lifetime(api: Api) -> int:
    """exp - iat of the id_token a code exchange returns."""
    id_token = api.exchange(api.code()).json()["id_token"]
    part = id_token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return int(claims["exp"]) - int(claims["iat"])


def _refresh_after_code_reuse(api: Api) -> int:
    """Status of a refresh with the token a code's first exchange gave, after its reuse."""
    code = api.code(scope="openid offline_access")
    first = api.exchange(code).json()
    api.exchange(code)
    return api.refresh(first["refresh_token"]).status_code


def _refresh_without_client(api: Api) -> int:
    token = api.password_tokens()["refresh_token"]
    return _status(api.token("refresh_token", client=None, institution=None, refresh_token=token))


PROBES: dict[str, Probe] = {
    "tokens-low-entropy": lambda api: _cc(api).json()["access_token"].startswith("reference-"),
    "code-reuse-keeps-tokens": _refresh_after_code_reuse,
    "refresh-without-client-auth": _refresh_without_client,
    "scopes-error-403": lambda api: _status(
        api.token("client_credentials", scopes="conformance:not-a-scope")
    ),
    "refresh-token-null": lambda api: "refresh_token" in api.token("client_credentials").json(),
    "id-token-expired": lambda api: _id_token_lifetime(api) > 0,
    "txid-missing-on-errors": lambda api: "transactionid" in _cc(api, client=None).headers,
    "txid-missing-on-wrong-method": lambda api: (
        "transactionid" in api.send(TOKEN, method="GET").headers
    ),
    "txid-not-echoed": lambda api: _cc(api, txid="0b8f4c1e-7a0d-4e1a-9a57-1d2c3b4a5f60").headers[
        "transactionId"
    ],
    "txid-optional": lambda api: _status(_cc(api, txid=None)),
    "txid-shared-variable": _concurrent_ids_echoed,
    "institution-optional": lambda api: _status(_cc(api, institution=None)),
    "institution-unchecked": lambda api: _status(_cc(api, institution="abc")),
    "institution-membership-ignored": lambda api: _status(_cc(api, institution=OTHER_INSTITUTION)),
    "institution-foreign-401": lambda api: _status(_cc(api, institution=OTHER_INSTITUTION)),
    "auth-missing-400": lambda api: _status(_cc(api, client=None)),
    "auth-malformed-400": lambda api: _status(
        api.send(TOKEN, headers=api.headers(None, extra=[("Authorization", "Bearer x")]), form={})
    ),
    "secret-not-checked": lambda api: _status(_cc(api, client=(CLIENT[0], "wrong"))),
    "secret-prefix-compare": lambda api: _status(_cc(api, client=(CLIENT[0], CLIENT[1][:-1]))),
    "unknown-client-403": lambda api: _status(_cc(api, client=("nobody", "x"))),
    "basic-not-urldecoded": lambda api: _status(_cc(api, client=SPECIAL)),
    "grant-missing-defaults": lambda api: _status(api.token(None, username="someone")),
    "grant-unsupported-403": lambda api: _status(api.token("implicit")),
    "query-params-accepted": lambda api: _status(
        api.send(TOKEN, content=b"", params={"grant_type": "client_credentials"})
    ),
    "json-body-accepted": lambda api: _status(
        api.send(
            TOKEN, content=b'{"grant_type": "client_credentials"}', content_type="application/json"
        )
    ),
    "get-issues-token": lambda api: _status(
        api.http.get(TOKEN, params={"grant_type": "client_credentials"}, headers=api.headers())
    ),
    "password-field-optional": lambda api: _status(api.token("password", username=USER[0])),
    "code-field-optional": lambda api: _status(api.token("authorization_code")),
    "refresh-field-optional": lambda api: _status(api.token("refresh_token")),
    "client-credentials-broken": lambda api: _status(_cc(api)),
    "password-grant-broken": lambda api: _status(api.password_grant()),
    "code-exchange-broken": lambda api: _status(api.exchange(api.code())),
    "refresh-grant-broken": lambda api: _status(
        api.refresh(api.password_tokens()["refresh_token"])
    ),
    "token-type-mac": lambda api: _cc(api).json()["token_type"],
    "expires-in-suffixed": lambda api: _cc(api).json()["expires_in"],
    "client-credentials-refresh-token": lambda api: "refresh_token" in _cc(api).json(),
    "password-no-refresh-token": lambda api: "refresh_token" in api.password_grant().json(),
    "no-cache-control": lambda api: _cc(api).headers.get("cache-control"),
    "token-content-type-text": lambda api: _cc(api).headers["content-type"],
    "access-token-reused": lambda api: (
        _cc(api).json()["access_token"] == _cc(api).json()["access_token"]
    ),
    "success-echoes-client-secret": lambda api: CLIENT[1] in _cc(api).text,
    "error-body-plain-text": lambda api: api.token(None).headers["content-type"],
    "invalid-txid-500": lambda api: _status(_cc(api, txid="not-a-uuid")),
    "txid-reflected": lambda api: _cc(api, txid="<b>x</b>").headers.get("transactionId"),
    "password-not-checked": lambda api: _status(api.password_grant(user=(USER[0], "wrong"))),
    "unknown-user-accepted": lambda api: _status(api.password_grant(user=("nobody", "x"))),
    "txid-name-case-sensitive": lambda api: _status(
        api.token("client_credentials", txid=None, extra_headers=[("transactionid", new_txid())])
    ),
    "header-name-case-sensitive": lambda api: _status(
        api.token(
            "client_credentials", institution=None, extra_headers=[("INSTITUTIONID", "00016")]
        )
    ),
    "password-prefix-compare": lambda api: _status(
        api.password_grant(user=(USER[0], USER[1][:-1]))
    ),
    "username-case-insensitive": lambda api: _status(
        api.password_grant(user=(USER[0].swapcase(), USER[1]))
    ),
    "institution-required-everywhere": lambda api: _status(
        api.send(
            TOKEN,
            headers=api.headers(institution=None),
            form={
                "grant_type": "refresh_token",
                "refresh_token": api.password_tokens()["refresh_token"],
            },
        )
    ),
    "refresh-not-rotated": lambda api: (
        lambda old: api.refresh(old).json()["refresh_token"] == old
    )(api.password_tokens()["refresh_token"]),
    "rotated-refresh-still-valid": _refresh_reuse,
    "unknown-refresh-accepted": lambda api: _status(api.refresh("never-issued")),
    "refresh-not-bound-to-client": lambda api: _status(
        api.refresh(api.password_tokens(SECOND)["refresh_token"], CLIENT)
    ),
    "revoke-noop": _revoked_refresh,
    "revoke-rejects": lambda api: _status(api.revoke(api.password_tokens()["refresh_token"])),
    "revoke-access-token-500": lambda api: _status(api.revoke(_cc(api).json()["access_token"])),
    "code-reusable": _code_reuse,
    "code-race": _code_burst,
    "refresh-race": _refresh_burst,
    "code-not-client-bound": lambda api: _status(api.exchange(api.code(), client=SECOND)),
    "invalid-code-accepted": lambda api: _status(api.exchange("never-issued")),
    "grant-restrictions-ignored": lambda api: _status(api.password_grant(client=RESTRICTED)),
    "grant-forbidden-401": lambda api: _status(api.password_grant(client=RESTRICTED)),
    "audit-log-ascii": lambda api: _status(api.token("client_credentials", note="café")),
    "code-blank-accepted": lambda api: _status(api.token("authorization_code", code="")),
    "txid-uppercase-500": lambda api: _status(_cc(api, txid=new_txid().upper())),
    "txid-long-500": lambda api: _status(_cc(api, txid="a" * 257)),
    "username-non-ascii-500": lambda api: _status(api.password_grant(user=("Zoë", "x"))),
    "percent-escape-500": lambda api: _status(
        api.send(TOKEN, content=b"grant_type=client_credentials&note=%G1")
    ),
    "large-body-500": lambda api: _status(
        api.send(TOKEN, content=b"grant_type=client_credentials&pad=" + b"a" * 65 * 1024)
    ),
}


def test_faults__every_fault_has_a_probe() -> None:
    assert set(PROBES) == set(PLATFORM_FAULTS)


@pytest.fixture(scope="module")
def clean_api() -> Iterator[Api]:
    """A clean server to compare the faulted ones with."""
    with ReferenceServer() as server:
        api = Api(server)
        yield api
        api.close()


@pytest.fixture(scope="module")
def faulty_apis() -> Iterator[dict[str, Api]]:
    """One server per fault, all running for the module and stopped together.

    A uvicorn shutdown takes a few 0.1 s ticks; stopping the servers in parallel
    keeps the module fast; starting them a few at a time helps too.
    """
    servers = [ReferenceServer(faults={name}) for name in PLATFORM_FAULTS]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(ReferenceServer.start, servers))
    apis = {next(iter(server.faults)): Api(server) for server in servers}
    try:
        yield apis
    finally:
        for api in apis.values():
            api.close()
        with ThreadPoolExecutor(max_workers=len(servers)) as pool:
            list(pool.map(ReferenceServer.stop, servers))


@pytest.mark.parametrize("name", PLATFORM_FAULTS)
def test_fault__changes_what_its_probe_observes(
    clean_api: Api, faulty_apis: dict[str, Api], name: str
) -> None:
    faulty = faulty_apis[name]
    assert PROBES[name](faulty) != PROBES[name](clean_api)
    # The rest still works: a plain token request is still answered as a token request.
    assert faulty.token("client_credentials").status_code in {200, 403}


def _twice_in_a_row(api: Api, fault: str) -> list[int]:
    """Statuses of two uses, one after the other, of one code or refresh token."""
    if fault == "code-race":
        code = api.code()
        return [api.exchange(code).status_code for _ in range(2)]
    token = api.password_tokens()["refresh_token"]
    return [api.refresh(token).status_code for _ in range(2)]


@pytest.mark.parametrize(
    ("fault", "burst"), [("code-race", _code_burst), ("refresh-race", _refresh_burst)]
)
def test_race_fault__only_simultaneous_uses_get_more_than_one_token(
    clean_api: Api, faulty_apis: dict[str, Api], fault: str, burst: Probe
) -> None:
    # D30 judges simultaneity: one after the other, the faulted server refuses the reuse
    # as the clean one does; only requests arriving together all get tokens.
    faulty = faulty_apis[fault]
    first, second = _twice_in_a_row(faulty, fault)
    assert first == 200 and second in (400, 401)
    tokens, _ = burst(faulty)
    assert tokens > 1
    assert burst(clean_api)[0] == 1
