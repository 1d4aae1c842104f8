"""The rfc6749 profile against independent OAuth 2.0 servers from PyPI, on loopback.

Each server's expected verdicts were worked out from RFC 6749 and by probing the server
by hand (see its module); the suite must give exactly those, deviations included.
"""

from __future__ import annotations

import pytest

from tests.oauth_servers.harness import run_rfc6749, serve_wsgi
from tests.oauth_servers.table import SERVERS, Server, case_ids, render_table
from tests.readme_tables import document_section, printed_by

BY_NAME = {server.name: server for server in SERVERS}
DOCUMENT = "docs/oauth-servers.md"


@pytest.mark.parametrize("name", BY_NAME)
def test_expected__one_verdict_per_case_with_a_reason(name: str) -> None:
    expected = BY_NAME[name].module.EXPECTED
    assert set(expected) == set(case_ids())
    assert all(e.outcome in {"passed", "failed", "warned", "skipped"} for e in expected.values())
    assert all(e.why for e in expected.values())


@pytest.mark.slow
@pytest.mark.parametrize("name", BY_NAME)
def test_server__the_suite_gives_the_verdicts_worked_out_by_hand(name: str) -> None:
    server: Server = BY_NAME[name]
    module = server.module
    with serve_wsgi(module.create_app()) as url:
        actual = run_rfc6749(
            url, module.SETTINGS, module.SECRETS, auth_code_source=lambda: module.fetch_code(url)
        )
    expected = {case: verdict.outcome for case, verdict in module.EXPECTED.items()}
    # Outcomes and reasons only: no secret can reach the message.
    mismatches = [
        f"{case}: expected {expected.get(case)}, got {actual.get(case)}"
        + (f" ({module.EXPECTED[case].why})" if case in module.EXPECTED else "")
        for case in sorted(expected.keys() | actual.keys())
        if expected.get(case) != actual.get(case)
    ]
    assert actual == expected, "\n".join(mismatches)


def test_docs__show_the_generated_table() -> None:
    shown = document_section(DOCUMENT, "oauth-servers-table")
    assert shown is not None, f"{DOCUMENT} lacks the oauth-servers-table markers"
    assert shown == render_table(), (
        f"{DOCUMENT} is stale: paste python -m tests.oauth_servers.table"
    )


def test_table_module__prints_the_table() -> None:
    assert printed_by("tests.oauth_servers.table") == render_table()
