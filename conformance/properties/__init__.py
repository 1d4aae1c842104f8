"""The property-based phase: scenarios whose requests are generated.

`schemathesis_phase` drives schemathesis over the generated OpenAPI document (positive,
negative and coverage cases); `hypothesis_phase` holds properties beyond the schema;
`lifecycle` is the stateful token lifecycle machine; `boundaries` the inputs every run
tries whatever the seed (and the malformed bodies). Importing this package registers
their scenarios (phase "property"), which feed the same pure checks as the fixed ones.
"""

from __future__ import annotations

from conformance.properties import (  # noqa: F401 - importing registers the scenarios
    boundaries,
    hypothesis_phase,
    lifecycle,
    schemathesis_phase,
)
