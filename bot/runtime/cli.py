"""The `nextstep` console script: serve, clock, tick, db, regrade, forecast, check, demo."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from bot.config import ConfigError, demo_database_url, load_config, load_database_url, load_log_settings
from bot.logs import setup_logging


def _fail(error: ConfigError) -> int:
    for line in error.problems:
        print(f"nextstep: {line}", file=sys.stderr, flush=True)
    return 2


def cmd_serve(_args: argparse.Namespace) -> int:
    config = load_config()  # WEB_CONCURRENCY and GUNICORN_THREADS too, before gunicorn is imported
    from bot.runtime.server import serve

    return serve(config)


def cmd_clock(_args: argparse.Namespace) -> int:
    config = load_config()
    from bot.clock.run import run_clock

    run_clock(config)
    return 0


def cmd_tick(args: argparse.Namespace) -> int:
    config = load_config()
    try:
        at = datetime.fromisoformat(args.at)
    except ValueError:
        raise ConfigError([f"--at: not an ISO 8601 instant: {args.at!r}"]) from None
    if at.tzinfo is None:
        raise ConfigError(["--at: give the offset, e.g. 2026-12-01T09:00:00+00:00 or ...Z"])
    from bot.clock.run import summary, tick

    report = tick(config, at.astimezone(UTC))
    print(summary(report) + (f"; stopped early, released {report.released}" if report.stopped else ""))
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    url = load_database_url()
    from bot.runtime import migrate

    logging.getLogger("alembic.runtime.migration").setLevel(logging.INFO)  # each step it runs

    if args.action == "upgrade":
        revision = migrate.upgrade_checked(url)
        print(f"database at revision {revision} (head)")
    else:
        migrate.downgrade_checked(url, args.revision)
    return 0


def cmd_regrade(_args: argparse.Namespace) -> int:
    url = load_database_url()
    from bot.services.regrade import regrade
    from models import make_engine, make_session_factory

    engine = make_engine(url)
    try:
        report = regrade(make_session_factory(engine))
    finally:
        engine.dispose()
    print(f"regraded {report.checked} meetings with the current grader; {report.changed} changed grade")
    return 0


def cmd_forecast(args: argparse.Namespace) -> int:
    url = load_database_url()
    from bot.runtime.forecast_cli import backtest_command

    return backtest_command(url, args.team, args.weeks, args.out, datetime.now(UTC))


def cmd_check(_args: argparse.Namespace) -> int:
    from bot.runtime.check import run_checks

    return run_checks(sys.stdout)


def cmd_demo(args: argparse.Namespace) -> int:
    from bot.runtime.demo import run_demo

    return run_demo(database_url=demo_database_url(), out=sys.stdout)


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
    forecast = sub.add_parser("forecast", help="the win forecast learned from reactions")
    forecast_sub = forecast.add_subparsers(dest="action", required=True)
    backtest = forecast_sub.add_parser(
        "backtest", help="replay past weeks: fit on what was known, forecast, score against how deals ended"
    )
    backtest.add_argument("--team", help="the workspace's Slack team id (or name); needed with several")
    backtest.add_argument("--weeks", type=int, default=52, help="weeks to replay (default 52)")
    backtest.add_argument("--out", help="write the calibration chart to this PNG file")
    backtest.set_defaults(func=cmd_forecast)
    sub.add_parser(
        "check", help="after a deploy: settings, database, Slack and the clock, one line each"
    ).set_defaults(func=cmd_check)
    sub.add_parser(
        "demo", help="run the real app against the built-in Slack sandbox and print what people see"
    ).set_defaults(func=cmd_demo)
    args = parser.parse_args(argv)
    try:
        setup_logging(load_log_settings())
        return int(args.func(args))
    except ConfigError as error:  # a setting or the deployment around it: one line each, no traceback
        return _fail(error)


if __name__ == "__main__":
    sys.exit(main())
