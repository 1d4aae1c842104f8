"""Client authentication with HTTP Basic (RFC 6749 2.3.1, RFC 7617; D10, D11).

The client id and secret are each form-urlencoded and then joined with a colon and
base64-encoded, so the server base64-decodes, splits at the first colon, and
form-urldecodes each half before comparing.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from urllib.parse import unquote_plus

from .accounts import Accounts, Client
from .errors import ApiError, Problem
from .headers import RawHeaders, header_values

AUTHORIZATION = b"authorization"
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


class MalformedCredentials(ValueError):
    """The Authorization header is not well-formed Basic credentials."""


def authenticate_client(headers: RawHeaders, accounts: Accounts, faults: frozenset[str]) -> Client:
    """Rule 3: the client named by valid Basic credentials, or a 401 CMN_90004.

    Every way of failing (missing, malformed, unknown client, wrong secret) answers
    401 (D10); the error renderer adds the Basic challenge (D11). `faults` holds the
    faults that apply here: each changes one failure's answer.
    """
    values = header_values(headers, AUTHORIZATION)
    if not values:
        if "auth-missing-400" in faults:
            raise ApiError(Problem.INVALID_CLIENT, "credentials are required", status=400)
        if "rfc-no-auth-invalid-request" in faults:
            raise ApiError(Problem.INVALID_REQUEST, "client credentials are required")
        challenge = "rfc-no-auth-401-without-challenge" not in faults
        raise ApiError(Problem.INVALID_CLIENT, "credentials are required", challenge=challenge)
    # `rfc-invalid-client-400`: every failure of credentials that were sent is a 400.
    failed_status = 400 if "rfc-invalid-client-400" in faults else None
    try:
        client_id, secret = parse_basic(values, urldecode="basic-not-urldecoded" not in faults)
    except MalformedCredentials as exc:
        # `rfc-malformed-basic-400`: only a Basic header with unusable credentials; any
        # other scheme keeps the 401.
        basic = values[0].decode("latin-1").strip().partition(" ")[0].lower() == "basic"
        malformed_basic_400 = basic and "rfc-malformed-basic-400" in faults
        status = 400 if "auth-malformed-400" in faults or malformed_basic_400 else failed_status
        raise ApiError(Problem.INVALID_CLIENT, str(exc), status=status) from None
    client = accounts.client(client_id)
    if client is None:
        if "unknown-client-403" in faults:
            raise ApiError(Problem.FORBIDDEN)
        raise ApiError(Problem.INVALID_CLIENT, status=failed_status)
    if "secret-prefix-compare" in faults:
        # The bug under test (D28): compared only over the length presented, so an
        # empty or truncated secret passes.
        if not client.client_secret.startswith(secret):
            raise ApiError(Problem.INVALID_CLIENT, status=failed_status)
        return client
    if not _same(secret, client.client_secret) and "secret-not-checked" not in faults:
        raise ApiError(Problem.INVALID_CLIENT, status=failed_status)
    return client


def parse_basic(values: list[bytes], *, urldecode: bool = True) -> tuple[str, str]:
    """The (user, password) pair of one `Authorization: Basic ...` header.

    With `urldecode=False` (the `basic-not-urldecoded` fault) the halves are
    returned as decoded from base64, without form-urldecoding.
    """
    if len(values) != 1:
        raise MalformedCredentials("more than one Authorization header")
    # Rule 2 has already refused non-ASCII bytes, so latin-1 is a lossless view.
    scheme, _, param = values[0].decode("latin-1").strip().partition(" ")
    if scheme.lower() != "basic":  # auth schemes are case-insensitive (RFC 9110 11.1)
        raise MalformedCredentials("the Basic scheme is required")
    try:
        decoded = base64.b64decode(param.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise MalformedCredentials("credentials are not valid base64") from None
    try:
        text = decoded.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedCredentials("credentials are not UTF-8") from None
    user, colon, password = text.partition(":")
    if not colon:
        raise MalformedCredentials("credentials have no ':' separator")
    if not urldecode:
        return user, password
    return _form_decode(user), _form_decode(password)


def _form_decode(text: str) -> str:
    if _BAD_ESCAPE.search(text):
        raise MalformedCredentials("credentials are not properly form-urlencoded")
    try:
        return unquote_plus(text, errors="strict")
    except UnicodeDecodeError:
        raise MalformedCredentials("credentials are not properly form-urlencoded") from None


def _same(given: str, expected: str) -> bool:
    # Constant time, so response timing does not reveal how much of a secret matched.
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))
