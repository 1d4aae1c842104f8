"""Recordings for the check unit tests: real `Exchange`s from the real `Sender`, with
respx standing in for the target (design: checks are judged on what the sender records).

Fixtures:

- `record(status, ...) -> Exchange` sends one request the way the scenarios do and
  answers it from a respx route. By default the answer conforms: it echoes the
  request's transactionId, a 200 carries a token body for the grant with
  `Cache-Control: no-store` and `Pragma: no-cache`, an error carries a CMN body.
  Concurrent calls share one route, so they must ask for the same kind of answer.
- `run_check(requirement_id, exchanges, edition=..., secrets=..., strict_typing=...)`
  calls the registered check with a `CheckContext` built from the real contract;
  `fails(...)` and `skips(...)` call it and return the `Failure` / `Skipped` it must raise.
- `make_jwt(header=None, payload=None)` builds an id_token shaped as a JWT.

Markers (registered here, used by test_coverage.py):

- `requirement(id)` (the project's) names the check a test judges; a parametrized test
  whose first argument is `requirement_id` covers the ids of its table instead.
- `verdict(kind)` says what the test proves: "passes", "fails" or "skips".
"""

from __future__ import annotations

import base64
import itertools
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import httpx
import pytest
import respx

from conformance.checks import CHECKS, CheckContext
from conformance.contract import load_contract
from conformance.errors import Failure, Skipped
from conformance.exchange import Exchange
from conformance.redact import Redactor
from conformance.sender import Sender
from conformance.settings import Settings
from conformance.tls_posture import Transport

TARGET = "https://target.test"
TOKEN_PATH = "/oauth2/v1/token"
REVOKE_PATH = "/oauth2/v1/revoke"

CC = "client_credentials"
PW = "password"
CODE = "authorization_code"
RT = "refresh_token"

CLIENT_SECRET = "reference-secret-1"
PASSWORD = "Reference-Passw0rd!"
SPECIAL_SECRET = "sécret: with%+plus"
SETTINGS = Settings(
    client_id="conformance-client",
    client_secret=CLIENT_SECRET,
    institution_id="00016",
    username="reference-user",
    password=PASSWORD,
    special_client_id="spécial:client %+",
    special_client_secret=SPECIAL_SECRET,
    insecure=True,  # nothing leaves the process; skips loading a CA bundle per client
    max_requests=1_000_000,  # one sender serves the whole session
)


_UNSET: Any = object()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "verdict(kind): what a check unit test proves: passes, fails or skips"
    )


def jwt(header: Mapping[str, Any] | None = None, payload: Mapping[str, Any] | None = None) -> str:
    """An unsigned-looking JWT: base64url(header).base64url(payload).signature."""

    def part(value: Mapping[str, Any]) -> str:
        raw = json.dumps(dict(value)).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    head = part(header if header is not None else {"alg": "RS256", "typ": "JWT"})
    claims = {"sub": "reference-user", "iss": "https://issuer.test", "aud": "client"}
    claims |= {"iat": 1_767_225_600, "exp": 1_767_229_200}
    body = part(payload if payload is not None else claims)
    return f"{head}.{body}.c2lnbmF0dXJl"


def _default_form(grant: str | None) -> dict[str, str]:
    if grant == PW:
        return {"grant_type": PW, "username": "reference-user", "password": PASSWORD}
    if grant == RT:
        return {"grant_type": RT, "refresh_token": "refresh-previous"}
    if grant == CODE:
        return {"grant_type": CODE, "code": "code-0CE0b2NA"}
    return {"grant_type": CC}


def _error_message(code: str) -> str:
    known = {c.code: c.message for c in load_contract().error_codes}
    return known.get(code, "Request is invalid")


class Recorder:
    """Sends one request through the sender and answers it from a respx route."""

    def __init__(self, router: respx.MockRouter, sender: Sender) -> None:
        self.router = router
        self.sender = sender
        self._serial = itertools.count(1)

    def token_body(self, grant: str | None, overrides: Mapping[str, Any] | None) -> dict[str, Any]:
        n = next(self._serial)
        body: dict[str, Any] = {
            "access_token": f"access-{n}",
            "token_type": "Bearer",
            "expires_in": 3599,
        }
        if grant in (PW, RT):
            body |= {"refresh_token": f"refresh-{n}", "refresh_token_expires_in": 15551999}
        if grant == CODE:
            body["id_token"] = jwt()
        for key, value in (overrides or {}).items():
            if value is None:
                body.pop(key, None)
            else:
                body[key] = value
        return body

    def __call__(
        self,
        status: int = 200,
        json: Any = _UNSET,
        *,
        token: Mapping[str, Any] | None = None,
        error: str | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str | None] | None = None,
        raw_headers: Sequence[tuple[str, str]] = (),
        echo: bool = True,
        raises: type[Exception] | None = None,
        scenario: str = "cc_success",
        label: str = "token",
        grant: str | None = CC,
        expects: str | None = None,
        form: Any = _UNSET,
        method: str = "POST",
        operation: str = "token",
        **send: Any,
    ) -> Exchange:
        """Record one exchange. `token` overrides fields of the default token body (None
        drops one); `error` makes a CMN error body; `json` or `content` give the body
        outright; `headers` override the default response headers (None drops one) and
        `raw_headers` are appended as given (repeated names allowed)."""
        if content is not None:
            payload: dict[str, Any] = {"content": content}
        elif json is not _UNSET:
            payload = {"json": json}
        elif error is not None:
            payload = {"json": {"code": error, "message": _error_message(error)}}
        elif status == 204:
            payload = {"content": b""}
        elif 200 <= status < 300 or token is not None:
            payload = {"json": self.token_body(grant, token)}
        else:
            payload = {"json": {"code": "CMN_90011", "message": "Request is invalid"}}

        def respond(request: httpx.Request) -> httpx.Response:
            out: dict[str, str] = {}
            sent = request.headers.get("transactionId")
            if echo and sent:
                out["transactionId"] = sent
            if status == 200:
                out |= {"Cache-Control": "no-store", "Pragma": "no-cache"}
            for name, value in (headers or {}).items():
                out = {k: v for k, v in out.items() if k.lower() != name.lower()}
                if value is not None:
                    out[name] = value
            return httpx.Response(status, headers=[*out.items(), *raw_headers], **payload)

        path = REVOKE_PATH if operation == "revoke" else TOKEN_PATH
        route = self.router.route(method=method, path=path)
        if raises is not None:
            route.mock(side_effect=raises)
        else:
            route.mock(side_effect=respond)
        if form is _UNSET:
            form = None if "body" in send or "params" in send else _default_form(grant)
        return self.sender.send(
            scenario,
            label,
            form=form,
            grant=grant,
            expects=expects,
            method=method,
            operation=operation,
            **send,
        )


@pytest.fixture
def target() -> Iterator[respx.MockRouter]:
    """The stand-in target: every route a test adds must be called."""
    with respx.mock(base_url=TARGET, assert_all_called=True) as router:
        yield router


@pytest.fixture(scope="session")
def sender() -> Iterator[Sender]:
    """One sender for the session: building an httpx client per test costs more than
    the tests. It keeps no state a check reads."""
    sending = Sender(SETTINGS, Redactor(SETTINGS.secrets()), base_url=TARGET)
    yield sending
    sending.close()


@pytest.fixture
def record(target: respx.MockRouter, sender: Sender) -> Callable[..., Exchange]:
    """`record(status, ...) -> Exchange`: see `Recorder.__call__`."""
    return Recorder(target, sender)


RunCheck = Callable[..., None]


@pytest.fixture
def run_check() -> RunCheck:
    """`run_check(requirement_id, exchanges, edition="1.3.1", secrets=(), strict_typing=False,
    transport=None)`:
    the registered check, judged with a context built from the real contract."""

    def run(
        requirement_id: str,
        exchanges: Sequence[Exchange],
        edition: str = "1.3.1",
        secrets: Sequence[str] = (),
        strict_typing: bool = False,
        transport: Transport | None = None,
    ) -> None:
        ctx = CheckContext(
            requirement_id, edition, load_contract(), tuple(secrets), strict_typing, transport
        )
        CHECKS[requirement_id].function(list(exchanges), ctx)

    return run


@pytest.fixture
def fails(run_check: RunCheck) -> Callable[..., Failure]:
    """`fails(requirement_id, exchanges, **context) -> Failure`: the check must raise a
    Failure naming its own requirement, in the house message shape, with evidence (when
    it names an exchange) taken from the exchanges it judged."""

    def judge(requirement_id: str, exchanges: Sequence[Exchange], **context: Any) -> Failure:
        with pytest.raises(Failure) as caught:
            run_check(requirement_id, exchanges, **context)
        failure = caught.value
        assert failure.requirement_id == requirement_id
        assert failure.title and failure.expected and failure.received
        assert "\n\nExpected: " in str(failure) and "\nReceived: " in str(failure)
        evidence = getattr(failure, "exchange", None)
        if evidence is not None:  # the exchange shown first must be one the check was given
            assert any(evidence is e for e in exchanges)
        return failure

    return judge


@pytest.fixture
def skips(run_check: RunCheck) -> Callable[..., Skipped]:
    """`skips(requirement_id, exchanges, **context) -> Skipped`: the check must refuse to
    judge, with a reason, rather than pass."""

    def judge(requirement_id: str, exchanges: Sequence[Exchange], **context: Any) -> Skipped:
        with pytest.raises(Skipped) as caught:
            run_check(requirement_id, exchanges, **context)
        assert str(caught.value).strip(), "a skip must say why"
        return caught.value

    return judge


@pytest.fixture
def make_jwt() -> Callable[..., str]:
    """`make_jwt(header=None, payload=None) -> str`."""
    return jwt
