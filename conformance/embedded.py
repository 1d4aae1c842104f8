"""The embedded default target: the reference on a free loopback port, every role filled.

With no target configured, `conformance run` uses this so a new user sees the whole
suite work at once. The roles (second client, restricted client, special-character
client, another institution, authorization codes, revocation) come from the reference's
own accounts.
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
    """The settings naming the reference's clients, user and institutions, one per role
    (the other institution: one the main client does not belong to), and the main
    client's scopes (all it is allowed, space-separated); a role the accounts have no
    client or user for (an --accounts file of `serve`), or a client without scopes, is
    left out."""
    main, *others = accounts.clients
    user = next((u for u in accounts.users if u.institution_id == main.institution_id), None)
    second = next(
        (c for c in others if "password" in c.grants and c.client_id == quote_plus(c.client_id)),
        None,
    )
    restricted = next((c for c in others if "password" not in c.grants), None)
    special = next((c for c in others if c.client_id != quote_plus(c.client_id)), None)
    other_institution = next(
        (i.id for i in accounts.institutions if i.id != main.institution_id), None
    )
    values = {
        "client_id": main.client_id,
        "client_secret": main.client_secret,
        "institution_id": main.institution_id,
    }
    if main.scopes:
        # Asked for, every scope the client holds must still get tokens; without a scope
        # the reference grants them all by default, and its own scope checks go unreached.
        values["scope"] = " ".join(sorted(main.scopes))
    if user is not None:
        values.update(username=user.username, password=user.password)
    for role, client in (("second", second), ("restricted", restricted), ("special", special)):
        if client is not None:
            values[f"{role}_client_id"] = client.client_id
            values[f"{role}_client_secret"] = client.client_secret
    if other_institution is not None:
        values["other_institution_id"] = other_institution
    return values


CODE_SCOPE = "openid offline_access"


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
            # offline_access: the code's exchange then returns a refresh token, through
            # which SEC-CODE-REUSE-REVOKES watches what a reused code leaves working.
            return request_code(self._base_url, self._credentials, scope=CODE_SCOPE)
        except RuntimeError as exc:
            raise ConformanceError(f"the embedded reference: {exc}") from None


@contextmanager
def embedded_target(
    settings: Settings,
) -> Iterator[tuple[Settings, ReferenceProcess, ReferenceCodeSource]]:
    """Start the reference for `settings.edition`, in a process of its own (it answers
    on another core than the suite's), and yield settings pointing at it."""
    with ReferenceProcess(edition=settings.edition) as server:
        roles = role_settings(default_accounts())
        if settings.scope:
            roles["scope"] = settings.scope  # asked for by the user: theirs to judge with
        filled = replace(
            settings,
            wrong_password_cap=REFERENCE_WRONG_PASSWORD_CAP,
            **roles,  # type: ignore[arg-type]
        )
        yield filled, server, ReferenceCodeSource(filled, server.url)
