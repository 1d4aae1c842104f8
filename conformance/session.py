"""One run from its first check to its exit code, the same for `conformance run` and for
`pytest --conformance-target`: both reach these functions through the pytest plugin.

    begin      before any request: output paths usable, the previous run's reports gone,
               the target answering, the certification profile's needs met
    finish     the verdict (with what was not judged), every report, the bundle, the exit code

A run that cannot judge (bad settings, no answer, refused credentials) still leaves
reports, holding that one error and naming the setting to fix, so a CI step that
publishes them never shows the previous run's green.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from conformance import __version__
from conformance.contract import DEFAULT_EDITION, SECURITY_PATH, contract_path
from conformance.errors import (
    ConfigError,
    ConformanceError,
    CredentialsRefused,
    QuotaExhausted,
    TargetUnreachable,
)
from conformance.openapi import openapi_path
from conformance.preflight import preflight
from conformance.reports import write_reports
from conformance.results import JUDGED, Outcome, exit_code
from conformance.run_context import Case, RunContext, cases
from conformance.settings import FLAG_HELP, Settings
from conformance.settings_load import load_settings, report_dir_of
from conformance.threats import rollup
from conformance.waivers import must_waivers

BUNDLE_NAME = "certification-bundle.tar.gz"
# What a run writes into its report directory; each is replaced or removed by the next.
ARTIFACTS = ("junit.xml", "results.json", "report.html", BUNDLE_NAME)
CLI_FLAGS, PYTEST_FLAGS = "--", "--conformance-"
DESELECTED = "deselected (pytest -k, -m or a test id): not judged in this run"
NOT_REACHED = "not judged: the run ended before this check (see the run's messages)"


def _iso(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat(timespec="seconds")


def run_header(context: RunContext) -> dict[str, Any]:
    """What identifies a run; printed first and stored in every report."""
    s = context.settings
    embedded = s.target is None
    return {
        "target": f"embedded reference ({context.base_url})" if embedded else s.target,
        "embedded": embedded,
        "base_url": context.base_url,
        "token_path": s.token_path,
        "edition": s.edition,
        "strict": s.strict,
        "contract": s.contract,
        "certification": s.certification,
        "profile": s.profile,
        "require_complete": s.require_complete,
        "seed": context.seed,
        "suite_version": __version__,
    }


def finish_header(context: RunContext, header: Mapping[str, Any]) -> dict[str, Any]:
    """The run header with what the run did: its times and request figures."""
    finished = time.time()
    return {
        **header,
        "started": _iso(context.started),
        "finished": _iso(finished),
        "duration_s": round(finished - context.started, 3),
        "requests_sent": context.sender.requests_sent,
        "generated_requests": context.generated_requests(),
        # fewer than the examples setting when the request budget was short
        "examples": context.recordings.examples,
        "retries_honoured": context.sender.retries_honoured,
        **context.sender.pacing_report(),
        "wrong_password_attempts": context.wrong_password_attempts,
        "refused_logins": context.refused_logins,
        "wrong_password_cap": context.settings.wrong_password_cap,
    }


# --- messages ------------------------------------------------------------------------
_FLAG = re.compile(
    r"(?<![\w-])--(?=(?:"
    + "|".join(sorted((n.replace("_", "-") for n in [*FLAG_HELP, "config"]), key=len)[::-1])
    + r")\b)"
)


def name_options(text: str, flags: str = CLI_FLAGS) -> str:
    """`text` with its options spelled as the path the user ran spells them (`--target`
    for `conformance run`, `--conformance-target` under pytest)."""
    return text if flags == CLI_FLAGS else _FLAG.sub(flags, text)


def describe(error: ConformanceError, flags: str = CLI_FLAGS) -> str:
    """The error as the user reads it, naming the setting to fix."""
    text = name_options(str(error), flags)
    setting = getattr(error, "setting", None)
    return f"{text}\n(setting: {setting})" if setting else text


def load_run_settings(
    flags: Mapping[str, Any],
    config_path: Path | None,
    environ: Mapping[str, str],
    *,
    options: str = CLI_FLAGS,
    writes_reports: bool = True,
    needs_target: bool = False,
) -> Settings:
    """The settings of a run, for both paths. Refused settings (a ConfigError, raised
    again) first replace the previous run's reports with that error, unless the run
    writes none (collecting only); notices of what still works but should change go to
    stderr. `needs_target`: the pytest path has no embedded reference."""
    notices: list[str] = []
    try:
        settings = load_settings(flags, config_path, environ, notices)
        if needs_target and settings.target is None:
            raise ConfigError(
                "The pytest plugin runs against a real target; `conformance run --target "
                "embedded` runs the embedded reference.",
                setting="target",
            )
    except ConformanceError as error:
        if writes_reports:
            report_refused_settings(report_dir_of(flags, config_path, environ), error, options)
        raise
    for notice in notices:
        print(f"note: {name_options(notice, options)}", file=sys.stderr)
    return settings


# --- before any request ----------------------------------------------------------------
def check_output_paths(settings: Settings) -> None:
    """Every path a run writes to is usable, checked before a request is sent: a bad
    one found at the end would throw the whole run away."""
    report_dir = Path(settings.report_dir)
    try:
        report_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"report_dir {report_dir} cannot hold the reports: {exc.strerror or exc}.\n\n"
            "Set --report-dir (CONFORMANCE_REPORT_DIR) to a directory that can be written.",
            setting="report_dir",
        ) from None
    if not os.access(report_dir, os.W_OK):
        raise ConfigError(
            f"report_dir {report_dir} is not writable.\n\nSet --report-dir to one that is.",
            setting="report_dir",
        )
    if settings.summary_md:
        summary = Path(settings.summary_md)
        problem = "is a directory" if summary.is_dir() else None
        if problem is None:
            try:
                summary.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                problem = f"cannot be made: {exc.strerror or exc}"
            else:
                writable = os.access(summary if summary.exists() else summary.parent, os.W_OK)
                problem = None if writable else "is not writable"
        if problem:
            raise ConfigError(
                f"summary_md {summary} {problem}.\n\nSet --summary-md to a file path.",
                setting="summary_md",
            )


def clear_previous_reports(report_dir: Path) -> None:
    """Remove the previous run's artifacts, so what the directory holds is this run's."""
    if not report_dir.is_dir():
        return
    for name in ARTIFACTS:
        path = report_dir / name
        if path.is_file() or path.is_symlink():
            path.unlink()


def check_profile(context: RunContext) -> None:
    """Certification needs every role, accepts no waiver of a MUST, runs the property-based
    phase, and can sign with the key it was given."""
    settings = context.settings
    if not settings.certification:
        return
    missing = {role: reason for role, reason in context.roles().items() if reason}
    if missing:
        raise ConfigError(
            "The certification profile needs every role: "
            + "; ".join(f"{role} {reason}" for role, reason in sorted(missing.items())),
            setting=next(iter(sorted(missing))),
        )
    waived = must_waivers(context.waivers, context.contract, settings.edition)
    if waived:
        raise ConfigError(
            "The certification profile accepts no waiver of a MUST requirement: "
            + ", ".join(waived),
            setting="waivers",
        )
    if settings.skip_properties:
        raise ConfigError(
            "The certification profile runs the property-based phase.", setting="skip_properties"
        )
    if settings.signing_key:
        from conformance.bundle import load_private_key  # cryptography: this profile only

        load_private_key(Path(settings.signing_key))


def begin(context: RunContext) -> None:
    """Everything that must hold before the first request; raises ConformanceError."""
    settings = context.settings
    clear_previous_reports(Path(settings.report_dir))  # first: whatever happens next
    check_output_paths(settings)
    check_profile(context)
    preflight(context.base_url, settings)


# --- after the run ---------------------------------------------------------------------
def error_outcome(error: ConformanceError, edition: str, message: str) -> Outcome:
    """The one record of a run that could not judge the target."""
    if isinstance(error, TargetUnreachable | CredentialsRefused):
        case, summary = (
            "PREFLIGHT",
            (
                "The target answers at its token endpoint and accepts the configured "
                "credentials (checked before any requirement)."
            ),
        )
    elif isinstance(error, ConfigError):
        case, summary = "CONFIGURATION", "The run's settings are complete and usable."
    elif isinstance(error, QuotaExhausted):
        case, summary = "QUOTA", "The target's quota lasts the run (checked as the run goes)."
    else:
        case, summary = "RUN", "The suite ran to the end."
    return Outcome(
        requirement_id=case,
        level="MUST",
        grant=None,
        edition=edition,
        outcome="error",
        message=message,
        summary=summary,
        area="run",
        source="conformance run",
    )


def complete_outcomes(context: RunContext, deselected: Iterable[Case] = ()) -> list[Outcome]:
    """The judged outcomes, and a skipped one for every case not judged (deselected, or
    never reached), so the verdict and the reports count what was left out."""
    judged = {o.case_id for o in context.outcomes}
    left_out = {case.id for case in deselected}
    extra = [
        Outcome(
            requirement_id=case.requirement.id,
            level=case.requirement.level(context.settings.edition),
            grant=case.grant,
            edition=context.settings.edition,
            outcome="skipped",
            message=DESELECTED if case.id in left_out else NOT_REACHED,
            summary=case.requirement.summary,
            area=case.requirement.area,
            source=case.requirement.source,
            decision=case.requirement.decision,
            threat=case.requirement.threat,
        )
        for case in cases(context.contract)
        if case.id not in judged
    ]
    return [*context.outcomes, *extra]


def _quota_outcome(
    context: RunContext, quota: QuotaExhausted, outcomes: list[Outcome], flags: str
) -> Outcome:
    """The run's end when the target's quota ran out: an error (exit 2, never 1: what
    was not judged by then says nothing of the target), listing what was judged before
    and what was not."""
    judged = sorted(o.case_id for o in outcomes if o.outcome in JUDGED)
    unjudged = sorted(o.case_id for o in outcomes if o.outcome not in JUDGED)
    message = context.redactor.text(
        f"{describe(quota, flags)}\n\n"
        f"Judged before it ran out ({len(judged)}): {', '.join(judged) or 'none'}\n"
        f"Not judged ({len(unjudged)}): {', '.join(unjudged) or 'none'}"
    )
    print(f"error: {message}", file=sys.stderr)
    return error_outcome(quota, context.settings.edition, message)


def finish(
    context: RunContext,
    header: Mapping[str, Any],
    error: ConformanceError | None,
    deselected: Iterable[Case] = (),
    flags: str = CLI_FLAGS,
) -> tuple[int, dict[str, Any], list[Outcome], dict[str, Path]]:
    """Write every report of the run; return its exit code, final header, outcomes and
    the files written by name (the bundle under BUNDLE_NAME, when there is one)."""
    settings = context.settings
    final = finish_header(context, header)
    quota = error if isinstance(error, QuotaExhausted) else context.sender.quota_exhausted
    if error is not None and quota is None:
        message = context.redactor.text(describe(error, flags))
        print(f"error: {message}", file=sys.stderr)
        outcomes = [error_outcome(error, settings.edition, message)]
    else:
        outcomes = complete_outcomes(context, deselected)
        if flags != CLI_FLAGS:  # a skip reason names an option too
            outcomes = [replace(o, message=name_options(o.message, flags)) for o in outcomes]
        if quota is not None:
            outcomes.append(_quota_outcome(context, quota, outcomes, flags))
    final["security"] = {
        "mode": settings.security,
        "threats": rollup(outcomes, context.contract.threats),
    }
    report_dir = Path(settings.report_dir)
    summary_md = Path(settings.summary_md) if settings.summary_md else None
    code = exit_code(outcomes, settings.require_complete)
    try:
        written = write_reports(report_dir, outcomes, final, summary_md)
    except OSError as exc:  # checked at the start; something changed underneath the run
        print(f"error: the reports could not be written: {exc}", file=sys.stderr)
        return max(code, 2), final, outcomes, {}
    if settings.certification and error is None:
        from conformance.bundle import write_bundle  # cryptography: this profile only

        written[BUNDLE_NAME] = write_bundle(
            report_dir / BUNDLE_NAME,
            {k: v for k, v in written.items() if k != "summary.md"},
            contract_path(settings.edition),
            openapi_path(settings.edition),
            final,
            outcomes,
            Path(settings.signing_key) if settings.signing_key else None,
            SECURITY_PATH,
        )
    return code, final, outcomes, written


def report_refused_settings(
    report_dir: Path, error: ConformanceError, flags: str = CLI_FLAGS
) -> None:
    """Reports for a run whose settings were refused: the previous run's are replaced
    by this one error. Best effort: when the directory itself is the problem, the
    terminal's message is all there is."""
    now = _iso(time.time())
    header = {
        "target": "not run: the configuration was refused",
        "embedded": False,
        "edition": DEFAULT_EDITION,
        "profile": "unknown",
        "seed": None,
        "suite_version": __version__,
        "started": now,
        "finished": now,
    }
    message = describe(error, flags)
    try:
        report_dir.mkdir(parents=True, exist_ok=True)
        clear_previous_reports(report_dir)
        write_reports(report_dir, [error_outcome(error, DEFAULT_EDITION, message)], header)
    except OSError:
        pass
