"""Serving: gunicorn in production, Socket Mode for development, a threaded server for tests and the demo."""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from bot.config import Config, ConfigError

log = logging.getLogger("nextstep")


def build_wsgi(config: Config) -> Callable[..., Any]:
    """The whole web app for one process: engine, Bolt app, WSGI routing."""
    from handlers.app import create_app
    from handlers.web import make_wsgi_app
    from models import make_engine

    engine = make_engine(config.database_url)
    app, deps = create_app(config, engine)
    return make_wsgi_app(app, deps)


def serve(config: Config) -> None:
    """gunicorn on 0.0.0.0:$PORT, threaded workers (Bolt finishes listeners after the ack)."""
    from gunicorn.app.base import BaseApplication

    class NextStepServer(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"0.0.0.0:{config.port}")
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", int(os.environ.get("GUNICORN_THREADS", "8")))
            self.cfg.set("workers", int(os.environ.get("WEB_CONCURRENCY", "2")))
            self.cfg.set("accesslog", None)

        def load(self) -> Callable[..., Any]:
            try:
                return build_wsgi(config)
            except ConfigError as error:  # one clear line, not a worker traceback
                for line in error.problems:
                    print(f"nextstep: {line}", file=sys.stderr, flush=True)
                sys.exit(3)  # gunicorn's "worker failed to boot": the master stops too

    log.info("serving %s", config.redacted())
    NextStepServer().run()


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
