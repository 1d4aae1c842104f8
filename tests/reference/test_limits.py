"""The reference's gateway limits, off by default: spike arrest (more than N requests in a
sliding second: HTTP 500 CMN_90003) and a quota (after N requests: HTTP 500 CMN_90002),
in both editions, with the transactionId header; 429 with Retry-After in edition
"rfc6749". The sliding second runs on the server's clock, which the tests move."""

from __future__ import annotations

import httpx
import pytest

from conformance.reference import ReferenceServer
from conformance.reference.authorize import request_code
from conformance.reference.limits import Limits
from conformance.reference.process import ReferenceProcess

from .conftest import EDITIONS, FakeClock
from .helpers import CLIENT, INSTITUTION, TOKEN, USER, Api, basic, new_txid


def _statuses(api: Api, count: int) -> list[tuple[int, str | None]]:
    answers = [api.token("client_credentials") for _ in range(count)]
    return [(a.status_code, (a.json() or {}).get("code")) for a in answers]


@pytest.mark.parametrize("edition", EDITIONS)
def test_spike_arrest__beyond_n_in_a_sliding_second_cmn_90003(edition: str) -> None:
    clock = FakeClock()
    with ReferenceServer(edition=edition, clock=clock, limits=Limits(spike_arrest=3)) as server:
        api = Api(server)
        assert [s for s, _ in _statuses(api, 3)] == [200, 200, 200]
        refused = api.token("client_credentials")
        assert refused.status_code == 500
        assert refused.json()["code"] == "CMN_90003" and refused.json()["message"]
        assert refused.headers["transactionId"]  # the gateway's answers carry it too
        clock.advance(0.5)  # the refused request counts: the second is still full
        assert api.token("client_credentials").status_code == 500
        clock.advance(1.0)
        assert api.token("client_credentials").status_code == 200
        api.close()


@pytest.mark.parametrize("edition", EDITIONS)
def test_quota__after_n_requests_every_answer_cmn_90002(edition: str) -> None:
    clock = FakeClock()
    with ReferenceServer(edition=edition, clock=clock, limits=Limits(quota=2)) as server:
        api = Api(server)
        assert [s for s, _ in _statuses(api, 2)] == [200, 200]
        clock.advance(3600.0)  # a quota does not lift with time here
        assert _statuses(api, 2) == [(500, "CMN_90002")] * 2
        api.close()


def test_limits__rfc6749_edition_answers_429_with_retry_after() -> None:
    with ReferenceServer(edition="rfc6749", limits=Limits(quota=1)) as server:
        api = Api(server)
        api.token("client_credentials")
        refused = api.token("client_credentials")
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
        api.close()


def test_limits__the_reference_only_authorize_route_is_not_limited() -> None:
    with ReferenceServer(limits=Limits(quota=1)) as server:
        api = Api(server)
        api.token("client_credentials")
        environ = {
            "CONFORMANCE_CLIENT_ID": CLIENT[0],
            "CONFORMANCE_CLIENT_SECRET": CLIENT[1],
            "CONFORMANCE_USERNAME": USER[0],
            "CONFORMANCE_PASSWORD": USER[1],
        }
        assert request_code(server.url, environ)  # the quota is spent, codes still come
        assert api.token("client_credentials").status_code == 500
        api.close()


def test_limits__none_by_default_and_only_positive() -> None:
    assert not Limits()
    for wrong in ({"spike_arrest": 0}, {"quota": -1}):
        with pytest.raises(ValueError, match="positive"):
            Limits(**wrong)


def test_process__serves_with_the_limits_it_is_given() -> None:
    with ReferenceProcess(limits=Limits(quota=1)) as server:
        api_answers = [
            httpx.post(
                server.url + TOKEN,
                data={"grant_type": "client_credentials"},
                headers={
                    "Authorization": basic(CLIENT),
                    "institutionId": INSTITUTION,
                    "transactionId": new_txid(),
                },
            )
            for _ in range(2)
        ]
        assert [a.status_code for a in api_answers] == [200, 500]
        assert api_answers[1].json()["code"] == "CMN_90002"
