"""Print a fresh authorization code from a running reference target.

For `CONFORMANCE_AUTH_CODE_COMMAND` when the target is `conformance serve` (or any
reference): `python -m conformance.reference.authorize http://127.0.0.1:8400`.
Credentials come from the environment the suite already uses (CONFORMANCE_CLIENT_ID,
CONFORMANCE_CLIENT_SECRET, CONFORMANCE_USERNAME, CONFORMANCE_PASSWORD); the code is
the only thing printed. Standard library only: the reference stays independent.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping, Sequence
from urllib.parse import quote_plus, urlencode

from conformance.reference.context import AUTHORIZE_PATH


def request_code(base_url: str, environ: Mapping[str, str], scope: str = "openid") -> str:
    """Ask the reference's authorize route for a code; raise RuntimeError without one."""
    # RFC 6749 2.3.1: id and secret are each form-urlencoded before base64.
    client_id = quote_plus(environ["CONFORMANCE_CLIENT_ID"])
    client = f"{client_id}:{quote_plus(environ['CONFORMANCE_CLIENT_SECRET'])}"
    form = {
        "username": environ["CONFORMANCE_USERNAME"],
        "password": environ["CONFORMANCE_PASSWORD"],
        "scope": scope,
    }
    request = urllib.request.Request(
        base_url.rstrip("/") + AUTHORIZE_PATH,
        data=urlencode(form).encode(),
        method="POST",
        headers={
            "Authorization": "Basic " + base64.b64encode(client.encode()).decode(),
            "transactionId": str(uuid.uuid4()),
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback URL
            code = json.loads(response.read()).get("code")
    except (urllib.error.URLError, ValueError) as exc:
        raise RuntimeError(f"the authorize route gave no code: {type(exc).__name__}") from None
    if not isinstance(code, str) or not code:
        raise RuntimeError("the authorize route gave no code")
    return code


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m conformance.reference.authorize BASE_URL", file=sys.stderr)
        return 2
    try:
        print(request_code(args[0], os.environ))
    except (RuntimeError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
