"""The embedded default target: the reference on a free loopback port, every role filled.

With no target configured, `conformance run` uses this so a new user sees the whole
suite work at once. The roles (second client, restricted client, special-character
client, authorization codes, revocation) come from the reference's own accounts.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from urllib.parse import quote_plus

from conformance.errors import ConformanceError
from conformance.reference import Accounts, default_accounts
from conformance.reference.authorize import request_code
from conformance.reference.process import ReferenceProcess
from conformance.settings import Settings

AUTHORIZE_PATH = "/reference/v1/authorize"


# The reference's user is the suite's own and is never locked out: every near-miss of its
# password (D28) is tried, on top of the wrong password and the missing one.
REFERENCE_WRONG_PASSWORD_CAP = 8


def role_settings(accounts: Accounts) -> dict[str, str]:
    """The settings naming the reference's clients and user, one per role; a role the
    accounts have no client or user for (an --accounts file of `serve`) is left out."""
    main, *others = accounts.clients
    user = next((u for u in accounts.users if u.institution_id == main.institution_id), None)
    second = next(
        (c for c in others if "password" in c.grants and c.client_id == quote_plus(c.client_id)),
        None,
    )
    restricted = next((c for c in others if "password" not in c.grants), None)
    special = next((c for c in others if c.client_id != quote_plus(c.client_id)), None)
    values = {
        "client_id": main.client_id,
        "client_secret": main.client_secret,
        "institution_id": main.institution_id,
    }
    if user is not None:
        values.update(username=user.username, password=user.password)
    for role, client in (("second", second), ("restricted", restricted), ("special", special)):
        if client is not None:
            values[f"{role}_client_id"] = client.client_id
            values[f"{role}_client_secret"] = client.client_secret
    return values


class ReferenceCodeSource:
    """Obtains authorization codes from the reference's reference-only authorize route."""

    def __init__(self, settings: Settings, base_url: str) -> None:
        self._base_url = base_url
        self._credentials = {
            "CONFORMANCE_CLIENT_ID": settings.client_id or "",
            "CONFORMANCE_CLIENT_SECRET": settings.client_secret or "",
            "CONFORMANCE_USERNAME": settings.username or "",
            "CONFORMANCE_PASSWORD": settings.password or "",
        }

    def __call__(self) -> str:
        try:
            return request_code(self._base_url, self._credentials)
        except RuntimeError as exc:
            raise ConformanceError(f"the embedded reference: {exc}") from None


@contextmanager
def embedded_target(
    settings: Settings,
) -> Iterator[tuple[Settings, ReferenceProcess, ReferenceCodeSource]]:
    """Start the reference for `settings.edition`, in a process of its own (it answers
    on another core than the suite's), and yield settings pointing at it."""
    with ReferenceProcess(edition=settings.edition) as server:
        filled = replace(
            settings,
            wrong_password_cap=REFERENCE_WRONG_PASSWORD_CAP,
            **role_settings(default_accounts()),  # type: ignore[arg-type]
        )
        yield filled, server, ReferenceCodeSource(filled, server.url)
