"""The Slack shell: builds the Bolt app and wires one module per Slack surface."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.oauth.callback_options import CallbackOptions, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.config import Config
from bot.logs import current_request, current_team
from bot.runtime.readiness import require_database, slack_identity
from bot.services.store import Sessions, open_sessions
from bot.services.workspaces import installed, started_with_token
from bot.slack.tokens import TokenSource, installation_store, oauth_state_store
from handlers import actions, commands, events, options, shortcuts, views
from handlers.after_ack import AFTER_ACK
from handlers.deps import Deps
from handlers.events.tokens import dedupe_events

log = logging.getLogger("nextstep")

# The fewest bot scopes that serve what the app does (manifest.yml lists the same).
BOT_SCOPES = ["commands", "chat:write", "users:read", "files:write", "channels:join"]


def utcnow() -> datetime:
    return datetime.now(UTC)


def quiet_slack_sdk_debug() -> None:
    """Give slack_sdk's client logger a level of its own, unless the operator runs at DEBUG.

    The client formats every request and response for its debug log whenever that logger's
    own level is unset (it tests ``logger.level``, not whether DEBUG is on): about half a
    millisecond for a modal, on every call, and people's words in the formatted text.
    """
    client_log = logging.getLogger("slack_sdk.web.base_client")
    if client_log.level == logging.NOTSET and logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        client_log.setLevel(logging.INFO)


def create_app(config: Config, engine: Engine, clock: Callable[[], datetime] = utcnow) -> tuple[App, Deps]:
    """The Bolt app for one workspace (bot token) or many (OAuth), talking to ``config.slack_api_url``."""
    quiet_slack_sdk_debug()
    AFTER_ACK.resize(config.after_ack_slots)
    require_database(engine)  # unreachable and unmigrated each get their own one line
    session_factory = open_sessions(engine)
    store = installation_store(config, engine)
    kwargs: dict[str, Any] = {}
    if config.multi_workspace:
        assert config.client_id and config.client_secret
        kwargs["oauth_settings"] = OAuthSettings(
            client_id=config.client_id,
            client_secret=config.client_secret,
            scopes=BOT_SCOPES,
            installation_store=store,
            state_store=oauth_state_store(engine),
            callback_options=CallbackOptions(
                success=_on_installed(session_factory, clock, config.slack_api_url), failure=_install_failed
            ),
        )
    tokens = TokenSource(config.bot_token, store)
    deps = Deps(config=config, session_factory=session_factory, clock=clock, tokens=tokens)
    identity = None
    if config.bot_token is not None and not config.multi_workspace:
        # auth.test ourselves, not Bolt's: "unreachable" and "refused" are different fixes.
        identity = slack_identity(config.slack_api_url, config.bot_token)
    # Bolt reads SLACK_BOT_TOKEN (and SLACK_SIGNING_SECRET, SLACK_CLIENT_ID/SECRET when not given
    # them) from the environment itself. Giving it the validated token, rather than a client of
    # our own, is what keeps it from warning "`token` will be unused" at every boot; its client
    # is then pointed at SLACK_API_URL, before any request (Bolt's own check is off: done above).
    app = App(
        signing_secret=config.signing_secret,
        token=config.bot_token if not config.multi_workspace else None,
        token_verification_enabled=False,
        # handlers.web checks the signature on the raw bytes before anything parses them, then hands
        # Bolt the checked payload as it parsed it (a dict, not bytes Slack signed).
        request_verification_enabled=False,
        # Bolt answers Slack when a listener returns; our listeners (handlers.guard) return the
        # moment they ack and finish their work on their own executor. Bolt's other mode
        # polls for the ack every 10 ms, which cost a whole poll on most submissions.
        process_before_response=True,
        **kwargs,
    )
    app.client.base_url = config.slack_api_url
    app.client.timeout = 10
    if identity is not None:
        # The static token works (Slack just said so): a workspace once marked dead is live again.
        team_id = str(identity["team_id"])
        started_with_token(session_factory, team_id, str(identity.get("team") or ""), clock())
        if config.admins:  # the admins are named: they are welcomed as the app first starts
            _welcome(session_factory, clock, app.client, team_id, sorted(config.admins), installed=False)
    register_all(app, deps)
    return app, deps


def register_all(app: App, deps: Deps) -> None:

    @app.middleware
    def inject_deps(context: dict, body: dict, next: Callable[[], BoltResponse]) -> BoltResponse:
        context["deps"] = deps
        context["request_id"] = uuid.uuid4().hex[:12]
        # Every log line of this request (and of its work after the ack) names both. Set, not
        # scoped: Bolt's next() only marks the chain to go on; handlers.web scopes each request.
        current_team.set(context.get("team_id"))
        current_request.set(context["request_id"])
        return dedupe_events(body, context, next)  # an event Slack retried stops here

    # Bolt tries each listener's matcher in this order until one matches, at a cost per listener:
    # the busiest requests (the Home tab's event, `/meeting`'s Save) come first. Only one listener
    # matches a request (one per action_id, callback_id, command or event), so order is speed only.
    events.register(app)
    views.register(app)  # the views package registers its catch-all for unknown modals last
    commands.register(app)
    options.register(app)
    actions.register(app)
    shortcuts.register(app)

    @app.error
    def log_error(error: Exception, body: dict, context: dict, logger: logging.Logger) -> None:
        logger.error(
            "unhandled error team=%s request=%s type=%s: %r",
            context.get("team_id"),
            context.get("request_id"),
            body.get("type") if isinstance(body, dict) else None,
            error,
        )


def _on_installed(
    session_factory: Sessions,
    clock: Callable[[], datetime],
    api_url: str = "https://slack.com/api/",
):
    """After the OAuth install: the workspace row with its installer (an admin), and their welcome."""

    def success(args: SuccessArgs) -> BoltResponse:
        installation = args.installation
        if installation.team_id:
            installed(
                session_factory,
                installation.team_id,
                installation.user_id,
                installation.team_name or "",
                clock(),
            )
            if installation.bot_token and installation.user_id:
                client = WebClient(token=installation.bot_token, base_url=api_url, timeout=10)
                _welcome(
                    session_factory,
                    clock,
                    client,
                    installation.team_id,
                    [installation.user_id],
                    installed=True,
                )
        return args.default.success(args)

    return success


def _welcome(
    session_factory: Sessions,
    clock: Callable[[], datetime],
    client: WebClient,
    team_id: str,
    admins: list[str],
    *,
    installed: bool,
) -> None:
    """The welcome DM with the three things to set up; once per workspace."""
    from bot.clock.weekly import welcome_admins

    try:
        welcome_admins(
            session_factory,
            lambda user, text, blocks: client.chat_postMessage(channel=user, text=text, blocks=blocks),
            team_id,
            clock(),
            admins,
            installed=installed,
        )
    except Exception as error:  # the install (or start-up) itself succeeded; say so whatever the DM did
        log.warning("welcome DM not sent team=%s: %s", team_id, type(error).__name__)


def _install_failed(args: Any) -> BoltResponse:
    log.warning("install failed: %s", args.reason)
    return args.default.failure(args)
