"""`python app.py`: Socket Mode when SLACK_APP_TOKEN is set (development), else the HTTP server.

Also the WSGI entry point for gunicorn: ``gunicorn 'app:wsgi_app()'``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from bot.config import ConfigError, load_config
from bot.runtime.cli import setup_logging


def wsgi_app() -> Callable[..., Any]:
    """gunicorn's application factory: one engine and Bolt app per worker."""
    from bot.runtime.server import build_wsgi

    setup_logging()
    try:
        return build_wsgi(load_config())
    except ConfigError as error:
        for line in error.problems:
            print(f"nextstep: {line}", file=sys.stderr)
        raise SystemExit(2) from None


def main() -> int:
    setup_logging()
    try:
        config = load_config()
    except ConfigError as error:
        for line in error.problems:
            print(f"nextstep: {line}", file=sys.stderr)
        return 2
    if config.app_token:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        from handlers.app import create_app
        from models import make_engine

        app, _deps = create_app(config, make_engine(config.database_url))
        SocketModeHandler(app, config.app_token).start()
        return 0
    from bot.runtime.server import serve

    serve(config)
    return 0


if __name__ == "__main__":
    sys.exit(main())
