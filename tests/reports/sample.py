"""Hand-made outcomes covering every outcome kind, for the writers' tests."""

from __future__ import annotations

from conformance.results import Outcome

EVIDENCE = {
    "scenario": "cc_success",
    "label": "token-0",
    "grant": "client_credentials",
    "request": {
        "method": "POST",
        "url": "http://t.test/oauth2/v1/token",
        "headers": [["Authorization", "Basic [REDACTED]"]],
        "body": "grant_type=client_credentials",
    },
    "response": {
        "status": 200,
        "headers": [["content-type", "application/json"]],
        "body": '{"access_token": "[REDACTED]", "token_type": "mac"}',
        "truncated": False,
        "elapsed_ms": 1.5,
    },
    "transport_error": None,
    "curl": "curl -i -X POST http://t.test/oauth2/v1/token "
    "-H 'Authorization: '\"Basic $(python3 -c '...' \"$CONFORMANCE_CLIENT_ID\" "
    '"$CONFORMANCE_CLIENT_SECRET")"',
}


def outcome(
    requirement_id: str,
    kind: str,
    grant: str | None = None,
    level: str = "MUST",
    message: str = "",
    **extra: object,
) -> Outcome:
    return Outcome(
        requirement_id=requirement_id,
        level=level,
        grant=grant,
        edition="1.3.1",
        outcome=kind,
        message=message or f"{requirement_id} title\n\nExpected: x\nReceived: y",
        summary=f"{requirement_id} summary",
        evidence=[EVIDENCE],
        duration_s=0.01,
        area="response",
        source="spec",
        decision="D7",
        **extra,  # type: ignore[arg-type]
    )


SAMPLE = [
    outcome(
        "RESP-TOKEN-TYPE",
        "failed",
        "client_credentials",
        message=(
            "token_type is not Bearer.\n\nExpected: token_type: Bearer\nReceived: token_type: 'mac'"
        ),
    ),
    outcome("RESP-TOKEN-TYPE", "passed", "password"),
    outcome("RESP-PRAGMA", "warned", "password", level="SHOULD"),
    outcome(
        "RESP-PRAGMA",
        "waived",
        "client_credentials",
        level="SHOULD",
        waiver={"reason": "gateway strips it", "expires": "2099-01-01", "state": "applied"},
    ),
    outcome(
        "CODE-SUCCESS",
        "skipped",
        "authorization_code",
        message="needs CONFORMANCE_AUTH_CODE_COMMAND",
    ),
    outcome("NO-5XX", "error", message="BudgetExhausted: The request budget of 10 is spent"),
]
HEADER = {
    "target": "http://t.test",
    "edition": "1.3.1",
    "seed": 42,
    "suite_version": "0.1.0",
    "profile": "default",
    "requests_sent": 12,
}
