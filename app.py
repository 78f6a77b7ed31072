"""`python app.py`: Socket Mode when SLACK_APP_TOKEN is set (development), else the HTTP server.

Run `nextstep clock` beside it: the clock sends every nudge and weekly post.
Also a WSGI entry point for gunicorn run by hand (``gunicorn 'app:wsgi_app()'``); the Procfile
uses `nextstep serve`, which checks everything once before gunicorn forks its workers.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from bot.config import ConfigError, load_config, load_log_settings
from bot.logs import setup_logging

# gunicorn's code for "worker failed to boot": the master halts instead of respawning it forever.
WORKER_BOOT_ERROR = 3


def _fail(error: ConfigError) -> None:
    for line in error.problems:
        print(f"nextstep: {line}", file=sys.stderr, flush=True)


def wsgi_app() -> Callable[..., Any]:
    """gunicorn's application factory: one engine and Bolt app per worker."""
    from bot.runtime.server import build_wsgi

    try:
        setup_logging(load_log_settings())
        return build_wsgi(load_config(), watch_clock=True)
    except ConfigError as error:
        _fail(error)
        raise SystemExit(WORKER_BOOT_ERROR) from None


def main() -> int:
    try:
        setup_logging(load_log_settings())
        config = load_config()
        if config.app_token:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            from handlers.app import create_app
            from models import make_engine

            app, _deps = create_app(config, make_engine(config.database_url))
            SocketModeHandler(app, config.app_token).start()
            return 0
        from bot.runtime.server import serve

        return serve(config)
    except ConfigError as error:
        _fail(error)
        return 2


if __name__ == "__main__":
    sys.exit(main())
