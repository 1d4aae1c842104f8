"""The conformance suite as a pytest module: one test per (requirement, grant)."""
