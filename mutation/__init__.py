"""Mutation testing of the reference target: the suite proving itself mechanically.

The per-fault tests prove that the suite catches the defects someone thought of and
named in `conformance/reference/faults.py`. Mutation testing asks about the defects
nobody named: every small change a tool can make to the reference's request handling
should make a default `conformance run` fail, or be argued harmless in
`mutation/equivalent.toml`. `nox -s mutants` runs it all; `tests/test_mutation.py`
runs a fixed sample in every `pytest`. How it is split:

- `population`: which mutants exist (cosmic-ray's operators over the request-handling
  modules) and the stable key each is known by;
- `workspace`: the copy of the tree the mutants are applied to, never /work's own, and
  the proof that the copy's code is what runs;
- `kill`: one mutant against the default runs of the editions its code serves;
- `run`: the whole run and its reports, `reports/mutation.json` and `reports/mutation.md`.

Outside `conformance/` on purpose: it drives the package from outside, as a user would,
and the package's import layers (tests/test_layers.py) stay about the package.
"""
