"""The independent servers tried, and docs/oauth-servers.md's requirement-by-requirement table.

The verdicts come from each server module's `EXPECTED` (worked out from RFC 6749 and by
probing the server by hand); `test_servers.py` asserts the suite gives exactly those, so
the table (`python -m tests.oauth_servers.table`) is also what the suite reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

from conformance.contract import RFC6749, contract_for
from tests.oauth_servers import authlib_server, dot_server


@dataclass(frozen=True)
class Server:
    name: str  # as docs/oauth-servers.md names it (versions: the test extra's pins)
    module: ModuleType  # create_app(), SETTINGS, SECRETS, fetch_code(url), EXPECTED


SERVERS = (
    Server("Authlib 1.9 (Flask)", authlib_server),
    Server("django-oauth-toolkit 3.4", dot_server),
)
SHOWN = {"passed": "pass", "failed": "**FAIL**", "warned": "warn", "skipped": "skip"}


def case_ids() -> list[str]:
    """Every case of the rfc6749 profile, in contract order (`ID` or `ID:grant`)."""
    return [
        f"{req.id}:{grant}" if grant else req.id
        for req in contract_for(RFC6749).requirements
        for grant in (req.grants or (None,))
    ]


def render_table() -> str:
    contract = contract_for(RFC6749)
    names = " | ".join(s.name for s in SERVERS)
    lines = [f"| requirement | level | {names} |", "|---|---|" + "---|" * len(SERVERS)]
    notes: dict[str, list[str]] = {server.name: [] for server in SERVERS}
    for case in case_ids():
        level = contract.requirement(case.split(":")[0]).level(RFC6749)
        cells = []
        for server in SERVERS:
            expected = server.module.EXPECTED[case]
            cells.append(SHOWN[expected.outcome] if level != "MAY" else "info")
            if expected.outcome != "passed" or level == "MAY":
                notes[server.name].append(f"- `{case}`: {expected.why}")
        lines.append(f"| `{case}` | {level} | " + " | ".join(cells) + " |")
    for name, lines_of_server in notes.items():
        lines += ["", f"{name}, where it is not a plain pass:", "", *lines_of_server]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render_table(), end="")
