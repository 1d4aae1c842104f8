"""Request bodies and header bytes: strict form-urlencoding, bounded size (D15, D20)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .helpers import TOKEN, Api, assert_cmn_error

CC = b"grant_type=client_credentials"


@pytest.mark.parametrize(
    ("content_type", "content"),
    [
        ("application/json", b'{"grant_type": "client_credentials"}'),
        ("text/plain", CC),
        ("multipart/form-data; boundary=x", b'--x\r\nContent-Disposition: form-data; name="a"\r\n'),
        ("application/x-www-form-urlencoded-not", CC),
        (None, CC),
    ],
    ids=["json", "text", "multipart", "lookalike", "none"],
)
def test_body__not_form_urlencoded_is_400(
    api: Api, content_type: str | None, content: bytes
) -> None:
    response = api.send(TOKEN, content=content, content_type=content_type)
    assert_cmn_error(response, 400, "CMN_90011")


@pytest.mark.parametrize(
    "content_type",
    [
        "application/x-www-form-urlencoded; charset=UTF-8",
        "Application/X-WWW-Form-Urlencoded",
        'application/x-www-form-urlencoded;charset="utf-8"',
    ],
)
def test_body__form_media_type_with_parameters_is_accepted(api_131: Api, content_type: str) -> None:
    response = api_131.send(TOKEN, content=CC, content_type=content_type)
    assert response.status_code == 200, response.text


def test_body__a_charset_other_than_utf8_is_400(api_131: Api) -> None:
    content_type = "application/x-www-form-urlencoded; charset=ISO-8859-1"
    response = api_131.send(TOKEN, content=CC, content_type=content_type)
    assert_cmn_error(response, 400, "CMN_90011")


def test_body__empty_is_400_grant_type_missing(api: Api) -> None:
    assert_cmn_error(api.send(TOKEN, content=b""), 400, "CMN_90007")


@pytest.mark.parametrize(
    "content",
    [
        b"grant_type=client_credentials&scopes=%zz",
        b"grant_type=client_credentials&scopes=%4",
        b"grant_type=client_credentials&scopes=%ff",  # decodes to invalid UTF-8
        b"grant_type=client_credentials&scopes=\xff",  # raw non-UTF-8 byte
        b"this is not a form",
        b"grant_type=client_credentials&&",
        b"grant_type=client_credentials&orphan",
        b"\x00\x01\x02",
    ],
)
def test_body__malformed_form_is_400(api: Api, content: bytes) -> None:
    assert_cmn_error(api.send(TOKEN, content=content), 400, "CMN_90011")


@pytest.mark.parametrize(
    "content",
    [
        b"grant_type=client_credentials&grant_type=client_credentials",
        b"grant_type=password&username=reference-user&username=x&password=Reference-Passw0rd!",
        b"grant_type=client_credentials&scopes=accounts:read&scopes=transactions:read",
    ],
)
def test_body__repeated_parameter_is_400(api: Api, content: bytes) -> None:
    assert_cmn_error(api.send(TOKEN, content=content), 400, "CMN_90011")


def test_body__one_mebibyte_is_400_not_500(api: Api) -> None:
    content = CC + b"&padding=" + b"a" * (1 << 20)
    assert_cmn_error(api.send(TOKEN, content=content), 400, "CMN_90011")


def test_body__one_mebibyte_streamed_without_length_is_400(api_131: Api) -> None:
    def chunks() -> Iterator[bytes]:
        yield CC + b"&padding="
        for _ in range(64):
            yield b"a" * 16384

    headers = [*api_131.headers(), (b"Content-Type", b"application/x-www-form-urlencoded")]
    response = api_131.http.post(TOKEN, headers=headers, content=chunks())
    assert "content-length" not in response.request.headers
    assert_cmn_error(response, 400, "CMN_90011")


def test_body__just_under_the_size_cap_is_accepted(api_131: Api) -> None:
    content = CC + b"&padding=" + b"a" * (60 * 1024)
    assert api_131.send(TOKEN, content=content).status_code == 200


def test_body__unknown_parameters_are_ignored(api_131: Api) -> None:
    # RFC 6749 3.2: the server ignores parameters it does not recognise.
    assert api_131.send(TOKEN, content=CC + b"&colour=blue").status_code == 200


@pytest.mark.parametrize(
    "value",
    [b"a\x01b", b"a\x1bb", b"a\x7fb", b"caf\xc3\xa9", b"\xff\xfe", b"a\tb"],
    ids=["soh", "esc", "del", "utf8", "non-utf8", "tab"],
)
def test_header__control_or_non_ascii_bytes_are_400_cmn_90017(api: Api, value: bytes) -> None:
    headers = api.headers(extra=[("X-Note", value)])
    response = api.send(TOKEN, headers=headers, form={"grant_type": "client_credentials"})
    assert_cmn_error(response, 400, "CMN_90017")


def test_header__non_ascii_in_authorization_is_400_cmn_90017(api_131: Api) -> None:
    headers = api_131.headers(None, extra=[("Authorization", b"Basic \xff\xfe")])
    response = api_131.send(TOKEN, headers=headers, form={"grant_type": "client_credentials"})
    assert_cmn_error(response, 400, "CMN_90017")
