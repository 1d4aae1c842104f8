"""The `conformance` command: run, serve, spec build, spec diff. A thin layer over the modules."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from conformance import __version__, serve_command
from conformance.contract import ALL_EDITIONS, DEFAULT_EDITION, EDITIONS
from conformance.errors import ConformanceError
from conformance.results import EXIT_COULD_NOT_RUN, EXIT_MUST_FAILED, EXIT_OK
from conformance.settings import BOOL_SETTINGS, FLAG_HELP

RUN_EPILOG = """\
exit codes:
  0  every MUST requirement holds (SHOULD failures are warnings unless --strict); the
     verdict says "PASS (incomplete: ...)" when some MUST went untested
  1  a MUST requirement failed (or went untested, with --require-complete); a run
     --exitfirst cut short
  2  the suite could not judge: bad configuration, target unreachable, configured
     credentials refused, the target's quota exhausted (CMN_90002), nothing judged

settings come from flags, then the --config TOML file, then CONFORMANCE_* variables
(CONFORMANCE_TARGET, CONFORMANCE_CLIENT_ID, CONFORMANCE_CLIENT_SECRET, ...). Secrets
(client secrets, the user's password) are read from the file or the environment only.
"""


def _add_run(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = commands.add_parser(
        "run",
        help="run the suite (default target: the embedded reference)",
        epilog=RUN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("--config", type=Path, help="TOML file of settings")
    run.add_argument(
        "-q",
        "--quiet",
        action="count",
        default=0,
        help="less output: no progress, the verdict with the failures, the files written",
    )
    run.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="more output: every case by name as it is judged",
    )
    for name, text in FLAG_HELP.items():
        flag = "--" + name.replace("_", "-")
        if name in BOOL_SETTINGS:
            run.add_argument(flag, dest=name, action="store_true", default=None, help=text)
        else:
            run.add_argument(flag, dest=name, default=None, help=text)
    run.add_argument("pytest_args", nargs="*", help="extra pytest arguments, after --")


def _add_serve(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser(
        "serve",
        help="serve the reference target as a local sandbox stand-in, optionally with faults",
        description="Serve the reference target on 127.0.0.1 for developing clients: it "
        "prints the credentials it accepts as export lines, a curl line that fetches an "
        "authorization code, then a redacted access log.",
        epilog="exit codes: 0 stopped (Ctrl-C) or faults listed, 2 bad option (an unknown "
        "--fault, a --port that cannot be bound, an unreadable --accounts file)",
    )
    serve_command.add_arguments(serve)


def _add_spec(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    spec = commands.add_parser("spec", help="the OpenAPI document: build it, diff it")
    actions = spec.add_subparsers(dest="spec_command", required=True)
    build = actions.add_parser(
        "build",
        help="write specs/openapi-<edition>.yaml from specs/contract.toml or specs/rfc6749.toml",
    )
    build.add_argument(
        "--edition", choices=ALL_EDITIONS, default=None, help="default: every edition"
    )
    diff = actions.add_parser(
        "diff",
        help="compare our document with a vendor OpenAPI document",
        epilog="exit codes: 0 compared (no difference, or --fail-on-difference not given), "
        "1 the documents differ and --fail-on-difference was given, 2 a document unreadable",
    )
    diff.add_argument("vendor", type=Path)
    diff.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text (default: grouped by area, for people) or json (for tools)",
    )
    diff.add_argument(
        "--fail-on-difference",
        action="store_true",
        help="exit 1 when the documents differ (a CI gate on a vendor's new release)",
    )
    diff.add_argument(
        "--edition",
        choices=EDITIONS,
        default=None,
        help="our edition to compare (default: the vendor's info.version, else 1.3.1)",
    )


def _add_bundle(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    # Literal here, not imported: conformance.bundle loads cryptography, which only
    # `bundle verify` and the certification profile need.
    epilog = """\
exit codes:
  0  valid: every digest and every manifest claim matches results.json, and the
     signature was checked with --public-key (or --allow-unsigned was given)
  1  invalid: changed, forged, replayed from another --target, or signed by another key
  2  unreadable: not a gzip tar archive, or --public-key is not an Ed25519 PEM key
  3  integrity not established: the bundle is unsigned, or signed but no --public-key
     was given (anyone can rebuild or re-sign a bundle); --allow-unsigned judges the rest
"""
    bundle = commands.add_parser("bundle", help="the certification bundle")
    actions = bundle.add_subparsers(dest="bundle_command", required=True)
    verify = actions.add_parser(
        "verify",
        help="check every digest, every manifest claim against results.json, and the "
        "signature; exit 0 valid, 1 invalid, 2 unreadable, 3 integrity not established",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verify.add_argument("file", type=Path, metavar="FILE")
    verify.add_argument(
        "--public-key", type=Path, metavar="PEM", help="PEM Ed25519 public key of the signer"
    )
    verify.add_argument(
        "--allow-unsigned",
        action="store_true",
        help="judge a bundle whose signature is absent or unchecked on the rest (exit 0, "
        "not 3): it shows the files agree, not who made them",
    )
    verify.add_argument(
        "--target",
        default=None,
        metavar="URL",
        help="the target URL the bundle must be for: a bundle of another target is invalid",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="conformance", description=__doc__)
    parser.add_argument("--version", action="version", version=f"conformance {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    _add_run(commands)
    _add_serve(commands)
    _add_spec(commands)
    _add_bundle(commands)
    return parser


def _run(args: argparse.Namespace) -> int:
    from conformance.run_command import execute
    from conformance.tuning import freeze_at_exit

    freeze_at_exit()
    from conformance.session import load_run_settings

    flags = {name: getattr(args, name) for name in FLAG_HELP}
    writes_reports = not _collect_only(args.pytest_args)
    settings = load_run_settings(flags, args.config, os.environ, writes_reports=writes_reports)
    verbosity = args.verbose - args.quiet
    return execute(settings, args.pytest_args, config=args.config, verbosity=verbosity)


def _collect_only(pytest_args: Sequence[str]) -> bool:
    return any(arg in ("--collect-only", "--co") for arg in pytest_args)


def _serve(args: argparse.Namespace) -> int:
    return serve_command.serve(args)


def _spec(args: argparse.Namespace) -> int:
    from conformance import openapi, spec_diff
    from conformance.contract import load_contract

    if args.spec_command == "build":
        for edition in [args.edition] if args.edition else ALL_EDITIONS:
            print(openapi.write_openapi(edition, openapi.openapi_path(edition).parent))
        return 0
    vendor = spec_diff.load_document(args.vendor)
    edition = args.edition or spec_diff.edition_of(vendor) or DEFAULT_EDITION
    ours = openapi.build_openapi(load_contract(), edition)
    differences = spec_diff.diff_documents(ours, vendor)
    if args.format == "json":
        print(spec_diff.render_json(differences, edition, args.vendor), end="")
    else:
        print(spec_diff.render_diff(differences), end="")
    return EXIT_MUST_FAILED if differences and args.fail_on_difference else EXIT_OK


def _bundle(args: argparse.Namespace) -> int:
    from conformance.bundle import verify_bundle

    verification = verify_bundle(
        args.file,
        args.public_key,
        allow_unsigned=args.allow_unsigned,
        expected_target=args.target,
    )
    print(verification.render())
    return verification.exit_code


def _flush_each_line() -> None:
    """A pipe makes stdout block-buffered: `serve > log` would hold its banner until exit,
    and a CI log would show a run's progress only at its end."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)  # absent on a test's StringIO
        if reconfigure is not None:
            reconfigure(line_buffering=True)


def main(argv: Sequence[str] | None = None) -> int:
    _flush_each_line()
    args = build_parser().parse_args(argv)
    handlers = {"run": _run, "serve": _serve, "spec": _spec, "bundle": _bundle}
    try:
        return handlers[args.command](args)
    except ConformanceError as error:
        setting = getattr(error, "setting", None)
        hint = f"\n(setting: {setting})" if setting else ""
        print(f"error: {error}{hint}", file=sys.stderr)
        return EXIT_COULD_NOT_RUN


if __name__ == "__main__":
    sys.exit(main())
