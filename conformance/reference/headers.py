"""Request header rules: transactionId, printable values, institutionId.

Headers are read from the raw ASGI list (bytes, names lowercased by the server), so
a rule sees exactly what the client sent: header names are case-insensitive
(`transactionId`, `transactionid`, `TRANSACTIONID` are one header) and no decoding
step can hide a control character or a non-ASCII byte.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable

from .accounts import Accounts, Client
from .errors import ApiError, Problem

RawHeaders = Iterable[tuple[bytes, bytes]]

TRANSACTION_ID = b"transactionid"
INSTITUTION_ID = b"institutionid"

# The canonical 36-character form only: braces, URNs and bare hex, which uuid.UUID
# would also take, are not what the platform documents.
_UUID_FORM = re.compile("-".join(f"[0-9a-fA-F]{{{n}}}" for n in (8, 4, 4, 4, 12)))
_PRINTABLE = re.compile(rb"[\x20-\x7e]*")
_DIGITS = re.compile(r"[0-9]+")
# h11's field-value rule: no NUL, CR, LF, VT or FF, no whitespace at either end.
_H11_FIELD_VALUE = re.compile(rb"[^\x00\s]+(?:[ \t]+[^\x00\s]+)*")
# The column the `txid-long-500` fault logs every transactionId to, valid or not.
LOGGED_TRANSACTION_ID_LENGTH = 256


def header_values(headers: RawHeaders, name: bytes) -> list[bytes]:
    """Every value of one header (name in lower case), in order."""
    return [value for key, value in headers if key == name]


def valid_transaction_id(headers: RawHeaders) -> str | None:
    """The request's transactionId if it carries exactly one valid UUID, else None.

    Only a valid value may be echoed (D2): an invalid one could carry markup or
    line breaks into the response.
    """
    values = header_values(headers, TRANSACTION_ID)
    if len(values) != 1:
        return None
    try:
        text = values[0].decode("ascii")
    except UnicodeDecodeError:
        return None
    if not _UUID_FORM.fullmatch(text):
        return None
    uuid.UUID(text)  # cannot fail after the pattern; kept as the authoritative parse
    return text


def invalid_transaction_id_as_sent(headers: RawHeaders) -> bytes | None:
    """The request's one transactionId, as sent, when it is invalid and a response
    header can carry it unchanged; else None. Only the `txid-reflected` fault uses it.

    "Can carry": what h11 (uvicorn's HTTP/1.1 layer) will write as a field value, so
    the faulty server answers instead of failing mid-response. Blank values are left
    out: the fault is about what is copied, not about a missing header (D1).
    """
    values = header_values(headers, TRANSACTION_ID)
    if len(values) != 1 or valid_transaction_id(headers) is not None:
        return None
    return values[0] if _H11_FIELD_VALUE.fullmatch(values[0]) else None


def fresh_transaction_id() -> str:
    """A new random transactionId for responses to requests without a valid one."""
    return str(uuid.uuid4())


def check_transaction_id(
    headers: RawHeaders,
    *,
    optional: bool,
    fail_500: bool,
    upper_500: bool = False,
    long_500: bool = False,
) -> None:
    """Rule 1: the request must carry one valid transactionId (D3, D4).

    `optional` is the `txid-optional` fault (a missing header passes); `fail_500` is
    the `invalid-txid-500` fault (an invalid one gets a 500 instead of a 400);
    `upper_500` and `long_500` are the `txid-uppercase-500` and `txid-long-500` faults.
    """
    values = header_values(headers, TRANSACTION_ID)
    if not values:
        if optional:
            return
        raise ApiError(Problem.INVALID_TRANSACTION_ID, "header transactionId is required")
    if long_500 and any(len(value) > LOGGED_TRANSACTION_ID_LENGTH for value in values):
        # The bug under test: the value is logged to a fixed-width column first.
        raise ApiError(Problem.INTERNAL, "the transactionId could not be logged")
    valid = valid_transaction_id(headers)
    if upper_500 and valid is not None and valid != valid.lower():
        # The bug under test (D25 says either case is valid): a lower-case-only store.
        raise ApiError(Problem.INTERNAL, "the transactionId could not be stored")
    if valid is None:
        if fail_500:
            raise ApiError(Problem.INTERNAL)
        raise ApiError(Problem.INVALID_TRANSACTION_ID, "transactionId must be a UUID")


def check_printable_headers(headers: RawHeaders) -> None:
    """Rule 2: header values are printable ASCII (CMN_90017).

    Tabs count as control characters here: the platform's message speaks of
    non-printable characters, and no header this API uses needs one.
    """
    for _, value in headers:
        if not _PRINTABLE.fullmatch(value):
            raise ApiError(Problem.NON_PRINTABLE)


def check_institution(
    headers: RawHeaders,
    accounts: Accounts,
    client: Client,
    *,
    required: bool,
    unchecked: bool = False,
    membership_ignored: bool = False,
    foreign_401: bool = False,
) -> None:
    """Rule 6: the institutionId header (D5).

    Required for `client_credentials` and `password`; when present for any grant it
    must be digits naming a known institution (else 400) that is the client's own
    (else 403, D26). `unchecked` is the `institution-unchecked` fault,
    `membership_ignored` `institution-membership-ignored`, `foreign_401`
    `institution-foreign-401`.
    """
    values = header_values(headers, INSTITUTION_ID)
    if not values:
        if required:
            raise ApiError(Problem.INVALID_INSTITUTION, "header institutionId is required")
        return
    if unchecked:
        return
    # Printable ASCII already (rule 2), so latin-1 decoding cannot fail or mislead.
    text = values[0].decode("latin-1")
    if len(values) != 1 or not _DIGITS.fullmatch(text) or not accounts.has_institution(text):
        raise ApiError(Problem.INVALID_INSTITUTION)
    if text != client.institution_id and not membership_ignored:
        if foreign_401:  # D26: reads as failed authentication
            raise ApiError(Problem.INVALID_CLIENT)
        raise ApiError(Problem.FORBIDDEN, "the client does not belong to this institution")
