"""slack_sdk's installation and OAuth state tables, attached to the app's metadata so Alembic manages them."""

from __future__ import annotations

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

from models.base import Base

BOTS_TABLE = "slack_bots"
INSTALLATIONS_TABLE = "slack_installations"
OAUTH_STATES_TABLE = "slack_oauth_states"

bots = SQLAlchemyInstallationStore.build_bots_table(Base.metadata, BOTS_TABLE)
installations = SQLAlchemyInstallationStore.build_installations_table(Base.metadata, INSTALLATIONS_TABLE)
oauth_states = SQLAlchemyOAuthStateStore.build_oauth_states_table(Base.metadata, OAUTH_STATES_TABLE)
