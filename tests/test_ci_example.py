"""The worked CI example stays usable: valid YAML, secrets from the store, the gate wired."""

from __future__ import annotations

from pathlib import Path

import yaml

from conformance.settings import ENV_PREFIX, SETTING_NAMES

WORKFLOW = Path(__file__).resolve().parents[1] / "docs" / "github-actions-conformance.yml"


def test_workflow__runs_the_suite_publishes_junit_and_uploads_the_report() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    steps = workflow["jobs"]["conformance"]["steps"]
    run = next(s for s in steps if "conformance run" in s.get("run", ""))
    assert "--summary-md" in run["run"]
    for name, value in run["env"].items():
        assert (
            name.startswith(ENV_PREFIX) and name.removeprefix(ENV_PREFIX).lower() in SETTING_NAMES
        )
        if name.endswith(("_SECRET", "_PASSWORD")):
            assert value.startswith("${{ secrets."), name  # never written in the workflow
    junit = next(s for s in steps if "junit" in s.get("uses", ""))
    assert junit["with"]["report_paths"] == "reports/junit.xml" and junit["if"] == "always()"
    upload = next(s for s in steps if "upload-artifact" in s.get("uses", ""))
    assert "reports/report.html" in upload["with"]["path"]
