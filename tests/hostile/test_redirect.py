"""A 307 to another port: never followed, so the client's Basic credentials never reach
the other listener, and the failures name the redirect and where it pointed."""

from __future__ import annotations

import pytest

from tests.hostile.conftest import TOKEN_PATH, Runs, with_cases
from tests.hostile.table import Case

pytestmark = pytest.mark.slow
redirect = with_cases("redirect-307")


@redirect
def test_redirect__not_followed_so_no_credentials_travel(case: Case, hostile_runs: Runs) -> None:
    run = hostile_runs[case.name]
    sent = [seen.authorization or "" for seen in run.seen if seen.method == "POST"]
    assert any(value.startswith("Basic ") for value in sent)  # they were there to leak...
    assert run.sink_seen == []  # ...and the other listener was never contacted


@redirect
def test_redirect__failures_name_the_307_and_its_location(case: Case, hostile_runs: Runs) -> None:
    run = hostile_runs[case.name]
    location = f"{run.sink_url}{TOKEN_PATH}"
    named = f"HTTP 307, a redirect to {location!r} (not followed)"
    assert any(named in message for message in run.messages("failed")), run.describe()
    headers = [
        tuple(h)
        for r in run.results()["results"]
        for e in r["evidence"]
        if e["response"]
        for h in e["response"]["headers"]
    ]
    assert ("Location", location) in headers
