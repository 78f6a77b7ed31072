"""Serving: gunicorn in production, Socket Mode for development, a threaded server for tests and the demo."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from bot.config import Config, ConfigError

log = logging.getLogger("nextstep")


def build_wsgi(config: Config, watch_clock: bool = False) -> Callable[..., Any]:
    """The whole web app for one process: engine, Bolt app, WSGI routing; served, the clock watch too."""
    from handlers.app import create_app
    from handlers.web import make_wsgi_app
    from models import make_engine

    engine = make_engine(config.database_url)
    app, deps = create_app(config, engine)
    if watch_clock:
        from bot.runtime.clock_watch import start_clock_watch

        start_clock_watch(deps.session_factory, deps.tokens, config.slack_api_url, deps.clock, deps.admins)
    return make_wsgi_app(app, deps)


def preflight(config: Config) -> None:
    """What every worker would find wrong, found once in the master before gunicorn forks.

    A worker that fails to boot would be respawned again and again; this stops first, with one line.
    """
    from bot.runtime.readiness import require_database, slack_identity
    from models import make_engine

    engine = make_engine(config.database_url)
    try:
        require_database(engine)
    finally:
        engine.dispose()
    if config.bot_token is not None:
        slack_identity(config.slack_api_url, config.bot_token)


# gunicorn gives a worker this long to finish its requests and the work after their ack
# (handlers.after_ack) after SIGTERM: under the 30 s Heroku waits before SIGKILL.
GRACEFUL_TIMEOUT = 25


def serve(config: Config) -> int:
    """gunicorn on 0.0.0.0:$PORT, threaded workers (Bolt finishes listeners after the ack)."""
    preflight(config)
    # Imported only now: gunicorn.config reads WEB_CONCURRENCY when imported, and
    # load_config has validated it (and GUNICORN_THREADS) first.
    from gunicorn.app.base import BaseApplication
    from gunicorn.glogging import Logger as GunicornLogger

    class OneFormatLogger(GunicornLogger):
        """gunicorn's own lines go through the root logger: the app's one format (text or JSON)."""

        def setup(self, cfg: Any) -> None:
            super().setup(cfg)
            for logger in (self.error_log, self.access_log):
                for handler in list(logger.handlers):
                    logger.removeHandler(handler)
                logger.propagate = True

    def worker_exit(_server: Any, _worker: Any) -> None:
        from handlers.guard import finish_after_ack_work

        finish_after_ack_work(GRACEFUL_TIMEOUT - 2)

    class NextStepServer(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"0.0.0.0:{config.port}")
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", config.gunicorn_threads)
            self.cfg.set("workers", config.web_concurrency)
            self.cfg.set("graceful_timeout", GRACEFUL_TIMEOUT)
            self.cfg.set("accesslog", None)
            self.cfg.set("logger_class", OneFormatLogger)
            self.cfg.set("loglevel", logging.getLevelName(logging.getLogger().getEffectiveLevel()).lower())
            self.cfg.set("worker_exit", worker_exit)

        def load(self) -> Callable[..., Any]:
            try:
                return build_wsgi(config, watch_clock=True)
            except ConfigError as error:  # one clear line, not a worker traceback
                for line in error.problems:
                    print(f"nextstep: {line}", file=sys.stderr, flush=True)
                # gunicorn's WORKER_BOOT_ERROR: the master halts instead of respawning forever.
                sys.exit(3)

    log.info("serving %s", config.redacted())
    NextStepServer().run()
    return 0


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


class BackgroundServer:
    """The real WSGI app on 127.0.0.1 (port 0 by default) in a thread: for tests and the demo."""

    def __init__(self, wsgi_app: Callable[..., Any], port: int = 0):
        self._server = make_server(
            "127.0.0.1", port, wsgi_app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
        )
        # shutdown() waits for the next poll: 0.5 s by default, once per test and demo run
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> BackgroundServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
