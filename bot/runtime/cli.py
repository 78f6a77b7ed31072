"""The `nextstep` console script: serve, db upgrade, demo (and, later, clock and tick)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from bot.config import ConfigError, load_config, load_database_url


def _fail(error: ConfigError) -> int:
    for line in error.problems:
        print(f"nextstep: {line}", file=sys.stderr)
    return 2


def setup_logging() -> None:
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )


def cmd_serve(_args: argparse.Namespace) -> int:
    try:
        config = load_config()
    except ConfigError as error:
        return _fail(error)
    from bot.runtime.server import serve

    serve(config)
    return 0


def cmd_clock(_args: argparse.Namespace) -> int:
    try:
        config = load_config()
    except ConfigError as error:
        return _fail(error)
    from bot.clock.run import run_clock

    run_clock(config)
    return 0


def cmd_tick(args: argparse.Namespace) -> int:
    try:
        config = load_config()
    except ConfigError as error:
        return _fail(error)
    try:
        at = datetime.fromisoformat(args.at)
    except ValueError:
        print(f"nextstep: --at: not an ISO 8601 instant: {args.at!r}", file=sys.stderr)
        return 2
    if at.tzinfo is None:
        print("nextstep: --at: give the offset, e.g. 2026-12-01T09:00:00+00:00 or ...Z", file=sys.stderr)
        return 2
    from bot.clock.run import tick

    report = tick(config, at.astimezone(UTC))
    print(
        f"claimed {report.claimed}, sent {report.sent} in {report.messages} DMs, failed {report.failed}, "
        f"gave up {report.gave_up}, escalated {report.escalated}"
    )
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    try:
        url = load_database_url(os.environ)
    except ConfigError as error:
        return _fail(error)
    from bot.runtime import migrate

    if args.action == "upgrade":
        migrate.upgrade(url)
    else:
        migrate.downgrade(url, args.revision)
    return 0


def cmd_regrade(_args: argparse.Namespace) -> int:
    try:
        url = load_database_url(os.environ)
    except ConfigError as error:
        return _fail(error)
    from bot.services.regrade import regrade
    from models import make_engine, make_session_factory

    engine = make_engine(url)
    try:
        report = regrade(make_session_factory(engine))
    finally:
        engine.dispose()
    print(f"regraded {report.checked} meetings with the current grader; {report.changed} changed grade")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from bot.runtime.demo import run_demo

    return run_demo(database_url=os.environ.get("DATABASE_URL") or None, out=sys.stdout)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="nextstep", description="Next Step: end every sales meeting with a scheduled next step."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="the HTTP server (gunicorn) on $PORT").set_defaults(func=cmd_serve)
    sub.add_parser("clock", help="the scheduler: one sweep a minute").set_defaults(func=cmd_clock)
    tick = sub.add_parser("tick", help="one sweep as of an instant")
    tick.add_argument(
        "--at", required=True, help="ISO 8601 instant with its offset, e.g. 2026-12-01T09:00:00Z"
    )
    tick.set_defaults(func=cmd_tick)
    db = sub.add_parser("db", help="database schema")
    db.add_argument("action", choices=["upgrade", "downgrade"])
    db.add_argument("revision", nargs="?", default="-1", help="downgrade target (default: one step back)")
    db.set_defaults(func=cmd_db)
    sub.add_parser(
        "regrade", help="regrade stored meetings with the current grader (the release step runs it)"
    ).set_defaults(func=cmd_regrade)
    sub.add_parser(
        "demo", help="run the real app against the built-in Slack sandbox and print what people see"
    ).set_defaults(func=cmd_demo)
    args = parser.parse_args(argv)
    setup_logging()
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
