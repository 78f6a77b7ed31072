"""The install flow: oauth.v2.access exchanges a one-time code for a bot token."""

from __future__ import annotations

import secrets
from typing import Any

from bot.slackfake.records import (
    FakeSlackError,
    OAuthCode,
    Token,
)
from bot.slackfake.users import UsersMixin

DEFAULT_SCOPES = "commands,chat:write,users:read,im:write"


class OAuthMixin(UsersMixin):
    """OAuth codes and their exchange for tokens."""

    def add_oauth_code(
        self,
        code: str,
        team_id: str,
        team_name: str,
        installer_user_id: str,
        scopes: str = DEFAULT_SCOPES,
        *,
        user_scopes: str = "",
        redirect_uri: str | None = None,
    ) -> None:
        """A code that oauth.v2.access will exchange once for a new bot token."""
        with self._lock:
            self._oauth_codes[code] = OAuthCode(
                code, team_id, team_name, installer_user_id, scopes, user_scopes, redirect_uri
            )

    def _oauth_v2_access(self, params: dict[str, Any], basic: tuple[str, str] | None) -> dict[str, Any]:
        client_id, secret = basic or (params.get("client_id") or "", params.get("client_secret") or "")
        if client_id != self.oauth_client_id:
            raise FakeSlackError("invalid_client_id")
        if secret != self.oauth_client_secret:
            raise FakeSlackError("bad_client_secret")
        code = self._oauth_codes.get(params.get("code") or "")
        if code is None or code.used:
            raise FakeSlackError("invalid_code")
        if code.redirect_uri and params.get("redirect_uri") != code.redirect_uri:
            raise FakeSlackError("bad_redirect_uri")
        code.used = True
        token = f"xoxb-{code.team_id}-{next(self._ids)}-{secrets.token_hex(8)}"
        if code.team_id in self._workspaces:
            ws = self._workspaces[code.team_id]
            ws.name = code.team_name
            self._tokens[token] = Token(token, code.team_id, ws.bot_user_id, is_bot=True)
        else:
            self.add_workspace(code.team_id, code.team_name, bot_token=token)
            ws = self._workspaces[code.team_id]
        if (code.team_id, code.installer_user_id) not in self._users:
            # The installer exists in Slack; seed them with add_user first to choose their timezone.
            self.add_user(code.team_id, code.installer_user_id, code.installer_user_id, is_admin=True)
        authed_user: dict[str, Any] = {
            "id": code.installer_user_id,
            "scope": code.user_scopes,
            "token_type": "user",
        }
        if code.user_scopes:
            user_token = f"xoxp-{code.team_id}-{next(self._ids)}-{secrets.token_hex(8)}"
            self._tokens[user_token] = Token(user_token, code.team_id, code.installer_user_id, is_bot=False)
            authed_user["access_token"] = user_token
        return {
            "app_id": self.app_id,
            "authed_user": authed_user,
            "scope": code.scopes,
            "token_type": "bot",
            "access_token": token,
            "bot_user_id": ws.bot_user_id,
            "team": {"id": ws.team_id, "name": ws.name},
            "enterprise": None,
            "is_enterprise_install": False,
        }
