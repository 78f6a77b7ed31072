"""Where a workspace's bot token comes from outside a request (the clock, the demo)."""

from __future__ import annotations

from slack_sdk.oauth.installation_store import InstallationStore
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine

from bot.config import Config
from models.slack_tables import BOTS_TABLE, INSTALLATIONS_TABLE, OAUTH_STATES_TABLE


class TokenSource:
    """The static token in single-workspace mode; the installation store in OAuth mode."""

    def __init__(self, static_token: str | None, installation_store: InstallationStore | None):
        self._static = static_token
        self._store = installation_store

    def bot_token(self, team_id: str) -> str | None:
        if self._store is None:
            return self._static
        bot = self._store.find_bot(enterprise_id=None, team_id=team_id)
        return bot.bot_token if bot else None

    def revoke(self, team_id: str) -> None:
        """Forget the workspace's tokens at once (tokens_revoked, app_uninstalled)."""
        if self._store is not None:
            self._store.delete_all(enterprise_id=None, team_id=team_id)


def installation_store(config: Config, engine: Engine) -> SQLAlchemyInstallationStore | None:
    """slack_sdk's store over our own tables (OAuth mode), or None with a static bot token."""
    if not config.multi_workspace:
        return None
    assert config.client_id is not None
    return SQLAlchemyInstallationStore(
        client_id=config.client_id,
        engine=engine,
        bots_table_name=BOTS_TABLE,
        installations_table_name=INSTALLATIONS_TABLE,
    )


def token_source(config: Config, engine: Engine) -> TokenSource:
    return TokenSource(config.bot_token, installation_store(config, engine))


def oauth_state_store(engine: Engine) -> SQLAlchemyOAuthStateStore:
    """OAuth's state parameter, kept 10 minutes in our own table."""
    return SQLAlchemyOAuthStateStore(expiration_seconds=600, engine=engine, table_name=OAUTH_STATES_TABLE)
