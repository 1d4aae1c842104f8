"""The two exception families: the target breaking the contract vs the suite unable to run.

    AssertionError
    └── Failure              the target broke a requirement (JUnit <failure>, exit 1)

    Exception
    └── ConformanceError     the suite could not run (JUnit <error>, exit 2)
        ├── ConfigError      a setting is missing or wrong; names the setting to fix
        │   └── CredentialsRefused  the target refused the configured credentials
        ├── TargetUnreachable  no HTTP answer from the target at all
        ├── BudgetExhausted  the request budget ran out before a check could finish
        ├── RunTimedOut      the whole-run time limit passed before a check could finish
        └── QuotaExhausted   the target's quota ran out and did not lift within that limit

`Skipped` is neither: a check that needs a role the configuration lacks.
"""

from __future__ import annotations


class Failure(AssertionError):
    """The target broke the requirement `requirement_id`.

    The message has one shape: a title line, a blank line, then `Expected:` and
    `Received:` lines (style.md 6).
    """

    def __init__(self, requirement_id: str, title: str, expected: str, received: str) -> None:
        self.requirement_id = requirement_id
        self.title = title
        self.expected = expected
        self.received = received
        self.exchange: object | None = None  # the exchange that shows the failure, if one does
        super().__init__(self.render())

    def render(self) -> str:
        return f"{self.title}\n\nExpected: {self.expected}\nReceived: {self.received}"


class Skipped(Exception):  # noqa: N818 - a control-flow signal, not an error
    """A check cannot be evaluated: the reason says which role or precondition is missing."""


class ConformanceError(Exception):
    """The suite could not run."""


class ConfigError(ConformanceError):
    """A setting is missing or invalid; `setting` names what the user edits."""

    def __init__(self, message: str, *, setting: str) -> None:
        self.setting = setting
        super().__init__(message)


class CredentialsRefused(ConfigError):
    """The target refused the configured client or user: no verdict on the target."""


class TargetUnreachable(ConformanceError):
    """The target gave no HTTP answer (refused, unknown host, TLS failure, timeout)."""


class BudgetExhausted(ConformanceError):
    """The configured request budget ran out."""


class RunTimedOut(ConformanceError):
    """The whole-run time limit (run_timeout) passed."""


class QuotaExhausted(ConformanceError):
    """The target answered that its quota is spent (a `quota` back-pressure kind of the
    contract) until run_timeout passed: what was not judged by then cannot be."""
