"""``antimetal-contract fake``: serve the fake on a port until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import sys
from types import FrameType
from typing import TypeVar

from pytest_antimetal._usage import UsageError
from pytest_antimetal.fake.limits import ServerLimits
from pytest_antimetal.fake.store import DEFAULT_MAX_STORED_BYTES

__all__ = ["configure_parser", "run"]

ENV_KEY = "ANTIMETAL_API_KEY"

_N = TypeVar("_N", int, float)


def _number(text: str, kind: type[_N], problem: str) -> _N:
    """*text* as an int or float; else argparse's one-line error: *problem* and the text's start."""
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{problem}: {text[:20]!r}") from None


def _port(text: str) -> int:
    value = _number(text, int, "not a port number")
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0-65535, got {value}")
    return value


def _positive_int(text: str) -> int:
    value = _number(text, int, "not a whole number")
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _seconds(text: str) -> float:
    value = _number(text, float, "not a number of seconds")
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text[:20]}")
    return value


def _investigation(text: str) -> str | float:
    if text in ("instant", "manual"):
        return text
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected instant, manual or seconds, got {text[:20]!r}"
        ) from None
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be >= 0 seconds, got {text[:20]}")
    return value


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Options of ``antimetal-contract fake``."""
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=_port, default=0, help="port to bind (default 0: any free port)"
    )
    parser.add_argument(
        "--api-key",
        action="append",
        dest="api_keys",
        metavar="KEY",
        help=f"accept this key (repeatable; default ${ENV_KEY}, else a generated key, printed)",
    )
    parser.add_argument(
        "--seed", type=int, default=None, help="deterministic uuids and request ids"
    )
    parser.add_argument(
        "--spec",
        default=None,
        metavar="PATH",
        help="serve this OpenAPI document (default: the vendored one); its operations the "
        "fake implements are served",
    )
    parser.add_argument(
        "--investigation",
        type=_investigation,
        default=None,
        metavar="MODE",
        help="how a new issue's investigation ends: instant, manual or after SECONDS (default 2)",
    )
    parser.add_argument(
        "--max-stored-bytes",
        type=_positive_int,
        default=DEFAULT_MAX_STORED_BYTES,
        metavar="N",
        help="bytes of recorded requests and issues kept (default 64 MiB; oldest dropped)",
    )
    parser.add_argument(
        "--max-connections",
        type=_positive_int,
        default=None,
        metavar="N",
        help="open connections (default 1000, or half the open-file limit if lower)",
    )
    parser.add_argument(
        "--request-timeout",
        type=_seconds,
        default=ServerLimits().request_timeout,
        metavar="S",
        help="seconds a client has to send a whole request (default 10)",
    )


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT or SIGTERM; the first stdout line is ``listening on URL``."""
    from pytest_antimetal.fake.core import FakeAntimetal
    from pytest_antimetal.fake.server import bind_socket, make_uvicorn_server, url_for

    generated = False
    keys: list[str] = list(args.api_keys or [])
    source = "--api-key"
    if not keys and os.environ.get(ENV_KEY):
        keys, source = [os.environ[ENV_KEY]], ENV_KEY
    if not keys:
        keys, generated = ["am-fake-" + secrets.token_urlsafe(24)], True
    spec = None
    if args.spec is not None:
        from pytest_antimetal.spec import SpecError, load_spec

        try:
            spec = load_spec(args.spec)
        except (OSError, SpecError) as exc:
            raise UsageError(f"--spec: {str(exc)[:300]}") from None
    investigation = {} if args.investigation is None else {"investigation": args.investigation}
    from pytest_antimetal.fake.clock import FakeClock

    try:
        fake = FakeAntimetal(
            spec=spec,
            api_keys=keys,
            seed=args.seed,
            # A server's clock is the wall clock, seeded or not (--seed: ids only).
            clock=FakeClock(),
            max_recorded=1000,
            max_stored_bytes=args.max_stored_bytes,
            **investigation,
        )
    except ValueError:
        # Never echo the key itself.
        raise UsageError(f"{source}: not a valid bearer token (letters, digits, -._~+/)") from None

    try:
        sock = bind_socket(args.host, args.port)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {reason}") from None
    port = sock.getsockname()[1]
    limits = ServerLimits(
        max_connections=args.max_connections, request_timeout=args.request_timeout
    )
    server = make_uvicorn_server(fake, limits=limits)

    def stop(signum: int, frame: FrameType | None) -> None:
        if server.should_exit:  # a second signal: stop waiting for open connections
            server.force_exit = True
        server.should_exit = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        print(f"listening on {url_for(args.host, port)}", flush=True)
        if generated:
            print(f"api key: {keys[0]}", flush=True)
        server.run(sockets=[sock])
    finally:
        sock.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    sys.stdout.flush()
    return 0 if server.started else 1
