"""The Recorder's transactionIds: unique in the run, and a function of the seed alone."""

from __future__ import annotations

from conformance.properties.recording import Recorder
from conformance.run_context import RunContext
from conformance.settings import Settings

DRAWN = "00000000-0000-4000-8000-00000000abcd"


def _taken(others_sent: int, drawn: str = DRAWN) -> list[str]:
    """What one recorder sends for `drawn` three times, after another recorder of the
    same run sent `others_sent` ids (as the lifecycle machines do beside it)."""
    ctx = RunContext(Settings(seed=11), "http://127.0.0.1:9")
    try:
        other = Recorder(ctx, "beside")
        for _ in range(others_sent):
            other.transaction_id()
        mine = Recorder(ctx, "mine")
        return [mine.take(drawn) for _ in range(3)]
    finally:
        ctx.close()


def test_take__a_repeat_is_sent_as_another_id_whatever_the_run_sent_beside() -> None:
    first = _taken(0)
    assert first[0] == DRAWN and len(set(first)) == 3
    assert _taken(7) == first


def test_take__the_letter_case_is_kept() -> None:
    upper = _taken(0, DRAWN.upper())
    assert upper[0] == DRAWN.upper() and all(value == value.upper() for value in upper)
