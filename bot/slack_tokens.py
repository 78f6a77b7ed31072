"""Where a workspace's bot token comes from outside a request (the clock, the demo)."""

from __future__ import annotations

from slack_sdk.oauth.installation_store import InstallationStore


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
