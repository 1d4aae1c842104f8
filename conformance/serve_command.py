"""`conformance serve`: the reference target as a local stand-in for the sandbox, for
people developing clients, and for trying a client's error handling against named faults.

Everything that can be refused is refused before a word of the banner: an unknown or
misplaced fault (naming --fault, with the closest name), a bad limit, an unreadable
--accounts file, and a port that cannot be bound (naming --port): each is exit 2. The
port is bound here and handed to the server, so the banner announces a server that is
listening already. The banner is what a client developer pastes from: the credentials
the reference accepts, `export` lines for every role, shell-quoted, and a curl line that
fetches an authorization code. Then the reference serves in the foreground, writing a
redacted access log (`reference/access_log.py`), until Ctrl-C.

The credentials printed are the reference's own test values (the built-in accounts, or
the --accounts file the user wrote), served on loopback only: printing them is what
`serve` is for. No other command prints a credential.
"""

from __future__ import annotations

import argparse
import errno
import shlex
import sys
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO
from urllib.parse import quote_plus

from conformance.contract import ALL_EDITIONS, DEFAULT_EDITION, RFC6749
from conformance.reproduce import BASIC_SNIPPET
from conformance.results import EXIT_COULD_NOT_RUN, EXIT_OK
from conformance.settings import ENV_PREFIX, ROLE_SETTINGS

# The reference (starlette, uvicorn) is imported when `serve` runs, not when the CLI loads.
if TYPE_CHECKING:
    from conformance.reference import Accounts
    from conformance.reference.limits import Limits

Write = Callable[[str], None]
MAX_PORT = 65535


def add_arguments(serve: argparse.ArgumentParser) -> None:
    """`serve`'s options."""
    serve.add_argument(
        "--port", type=int, default=8400, help="loopback port (default 8400; 0: a free one)"
    )
    serve.add_argument("--edition", choices=ALL_EDITIONS, default=DEFAULT_EDITION)
    serve.add_argument("--accounts", type=Path, help="TOML file of institutions, clients and users")
    serve.add_argument(
        "--spike-arrest",
        type=int,
        metavar="RPS",
        help="answer HTTP 500 CMN_90003 (rfc6749: 429) to requests beyond RPS in a sliding second",
    )
    serve.add_argument(
        "--quota",
        type=int,
        metavar="N",
        help="answer HTTP 500 CMN_90002 (rfc6749: 429) to every request after the first N",
    )
    serve.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME",
        help="serve with a named fault (repeatable, or NAME,NAME): a deliberate breakage of "
        "one requirement, to try a client's error handling; --list-faults names them",
    )
    serve.add_argument(
        "--list-faults",
        action="store_true",
        help="list the faults of --edition, each with the requirement it breaks, and exit",
    )


def serve(args: argparse.Namespace, out: Write | None = None, err: Write | None = None) -> int:
    """Check everything, announce, serve until interrupted; the exit code."""
    from conformance.reference import default_accounts, load_accounts, parse_faults
    from conformance.reference.faults import check_faults_for_edition
    from conformance.reference.limits import Limits
    from conformance.reference.listening import listening_socket
    from conformance.reference.server import serve_forever

    say = out or _printer(sys.stdout)
    complain = err or _printer(sys.stderr)
    if args.list_faults:
        say(list_faults(args.edition))
        return EXIT_OK
    for flag, value in (("--spike-arrest", args.spike_arrest), ("--quota", args.quota)):
        if value is not None and value <= 0:
            return _refuse(complain, flag, f"a positive number of requests, not {value}")
    try:
        faults = parse_faults(",".join(args.fault))
        check_faults_for_edition(faults, args.edition)
    except ValueError as exc:
        return _refuse(complain, "--fault", f"{exc} (--list-faults names them)")
    try:
        accounts = load_accounts(args.accounts) if args.accounts else default_accounts()
    except (OSError, ValueError) as exc:
        return _refuse(complain, "--accounts", f"{args.accounts}: {exc}")
    if not 0 <= args.port <= MAX_PORT:
        return _refuse(
            complain, "--port", f"a port is 0 to {MAX_PORT} (0: a free one), not {args.port}"
        )
    try:
        listening = listening_socket(args.port)
    except OSError as exc:
        held = " (another process listens there)" if exc.errno == errno.EADDRINUSE else ""
        return _refuse(
            complain,
            "--port",
            f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror}{held}; choose another "
            "--port, or --port 0 for a free one",
        )
    with listening:
        url = f"http://127.0.0.1:{listening.getsockname()[1]}"
        limits = Limits(spike_arrest=args.spike_arrest, quota=args.quota)
        say(banner(url, args.edition, accounts, sorted(faults), limits))
        serve_forever(listening, args.edition, accounts, faults, limits=limits, log=say)
    return EXIT_OK


def _printer(stream: TextIO) -> Write:
    # Flushed a line at a time whatever the stream: `conformance serve | tee log` shows the
    # banner, and each request, as they happen, not when a pipe's buffer fills.
    return lambda line: print(line, file=stream, flush=True)


def _refuse(complain: Write, flag: str, why: str) -> int:
    complain(f"error: {flag}: {why}")
    return EXIT_COULD_NOT_RUN


def list_faults(edition: str) -> str:
    """The faults the reference takes in `edition`, each with what it breaks there."""
    from conformance.reference import FAULTS

    rows = []
    for fault in sorted(FAULTS.values(), key=lambda f: f.name):
        if edition != RFC6749 and fault.rfc6749_only:
            continue
        breaks = (
            fault.rfc6749 if edition == RFC6749 else fault.requirement
        ) or "no single requirement"
        rows.append((fault.name, breaks, fault.description))
    width = max(len(name) for name, _, _ in rows)
    lines = [f"Faults of edition {edition} (conformance serve --fault NAME):"]
    lines += [f"  {name:<{width}}  breaks {req}: {text}" for name, req, text in rows]
    return "\n".join(lines)


def banner(
    url: str, edition: str, accounts: Accounts, faults: Sequence[str], limits: Limits
) -> str:
    """What `serve` prints before serving: where, what, the credentials, how to use them."""
    from conformance.embedded import role_settings
    from conformance.reference import FAULTS, describe_credentials

    lines = [f"Reference target, edition {edition}, on {url}" + _limited(limits)]
    for name in faults:
        fault = FAULTS[name]
        breaks = (
            fault.rfc6749 if edition == RFC6749 else fault.requirement
        ) or "no single requirement"
        lines.append(f"  with fault {name} (breaks {breaks}): {fault.description}")
    lines.append(describe_credentials(accounts))
    roles = role_settings(accounts)
    lines.append(
        "Paste into a shell to point a client, or `conformance run`, at it "
        "(the reference's own test values):"
    )
    lines += export_lines(url, edition, roles)
    code = code_line(url, edition, roles)
    if code:
        lines.append("An authorization code for the authorization_code grant (after the exports):")
        lines.append(code)
    lines.append(
        "Access log below: method, path, status, transactionId, time; no body, credential, "
        "token or code. Ctrl-C stops."
    )
    return "\n".join(lines)


def _limited(limits: Limits) -> str:
    spike, quota = limits.spike_arrest, limits.quota
    limited = [
        f"spike arrest above {spike} requests a second" if spike else "",
        f"a quota of {quota} requests" if quota else "",
    ]
    with_limits = " and ".join(filter(None, limited))
    return f", with {with_limits}" if with_limits else ""


def export_lines(url: str, edition: str, roles: dict[str, str]) -> list[str]:
    """`export NAME=value` for every role the accounts fill, each value shell-quoted, and
    what `conformance run` needs besides to judge this reference as the embedded run does."""
    from conformance.embedded import REFERENCE_WRONG_PASSWORD_CAP

    names = (*ROLE_SETTINGS, "scope")
    values = {"target": url, **{name: roles[name] for name in names if name in roles}}
    if "username" in roles:
        command = [sys.executable, "-m", "conformance.reference.authorize", url]
        values["auth_code_command"] = shlex.join(command)
        # The reference's user is the suite's own, never locked out: every D28 near-miss.
        values["wrong_password_cap"] = str(REFERENCE_WRONG_PASSWORD_CAP)
    if edition == RFC6749:
        values["contract"] = RFC6749
    else:
        values["edition"] = edition
    return [f"export {ENV_PREFIX}{name.upper()}={shlex.quote(v)}" for name, v in values.items()]


def code_line(url: str, edition: str, roles: dict[str, str]) -> str | None:
    """A curl line asking the reference-only authorize route for a code, reading the
    credentials from the exported variables; None without a user to consent."""
    from conformance.embedded import AUTHORIZE_PATH

    if "username" not in roles:
        return None
    plain = all(roles[k] == quote_plus(roles[k]) for k in ("client_id", "client_secret"))
    if plain:
        client = '-u "$CONFORMANCE_CLIENT_ID:$CONFORMANCE_CLIENT_SECRET"'
    else:  # RFC 6749 2.3.1: each form-urlencoded before base64, which `-u` does not do
        basic = f'{BASIC_SNIPPET} "$CONFORMANCE_CLIENT_ID" "$CONFORMANCE_CLIENT_SECRET"'
        client = f'-H "Authorization: Basic $({basic})"'
    parts = ["curl -sS -X POST", shlex.quote(url + AUTHORIZE_PATH), client]
    if edition != RFC6749:
        parts.append("-H " + shlex.quote(f"transactionId: {uuid.uuid4()}"))
    parts += [
        '--data-urlencode "username=$CONFORMANCE_USERNAME"',
        '--data-urlencode "password=$CONFORMANCE_PASSWORD"',
    ]
    return " ".join(parts)
