"""Minimal HS256 JWTs for the `authorization_code` grant's `id_token` (stdlib only)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time


def _b64url(data: bytes) -> str:
    # JWS uses base64url without padding (RFC 7515 2).
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _segment(value: dict[str, object]) -> str:
    return _b64url(json.dumps(value, separators=(",", ":"), sort_keys=True).encode("utf-8"))


def make_id_token(
    key: bytes, *, subject: str, issuer: str, audience: str, lifetime: int, now: float | None = None
) -> str:
    """A signed id token with the claims the platform's examples show, plus `aud`."""
    issued_at = int(time.time() if now is None else now)
    header = _segment({"alg": "HS256", "typ": "JWT"})
    payload = _segment(
        {
            "sub": subject,
            "iss": issuer,
            "aud": audience,
            "iat": issued_at,
            "exp": issued_at + lifetime,
        }
    )
    signing_input = f"{header}.{payload}".encode("ascii")
    signature = hmac.new(key, signing_input, hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64url(signature)}"
