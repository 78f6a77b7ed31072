"""Workspaces, members and tokens: auth.test, users.info, users.list and team.info."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.slackfake.base import FakeBase
from bot.slackfake.records import (
    FakeSlackError,
    Token,
    User,
    Workspace,
)

# zoneinfo only knows abbreviations; Slack shows the long name.
TZ_LABELS = {
    "PST": "Pacific Standard Time",
    "PDT": "Pacific Daylight Time",
    "MST": "Mountain Standard Time",
    "MDT": "Mountain Daylight Time",
    "CST": "Central Standard Time",
    "CDT": "Central Daylight Time",
    "EST": "Eastern Standard Time",
    "EDT": "Eastern Daylight Time",
    "AKST": "Alaska Standard Time",
    "AKDT": "Alaska Daylight Time",
    "HST": "Hawaii-Aleutian Standard Time",
    "GMT": "Greenwich Mean Time",
    "BST": "British Summer Time",
    "UTC": "Coordinated Universal Time",
    "CET": "Central European Time",
    "CEST": "Central European Summer Time",
    "EET": "Eastern European Time",
    "EEST": "Eastern European Summer Time",
    "IST": "India Standard Time",
    "JST": "Japan Standard Time",
    "AEST": "Australian Eastern Standard Time",
    "AEDT": "Australian Eastern Daylight Time",
    "NZST": "New Zealand Standard Time",
    "NZDT": "New Zealand Daylight Time",
}


def tz_fields(tz: str, at: float) -> dict[str, Any]:
    now = datetime.fromtimestamp(at, ZoneInfo(tz))
    offset = now.utcoffset()
    abbreviation = now.tzname() or tz
    return {
        "tz": tz,
        "tz_label": TZ_LABELS.get(abbreviation, abbreviation),
        "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
    }


class UsersMixin(FakeBase):
    """Seeds workspaces and people, and answers who they are."""

    def add_workspace(
        self,
        team_id: str,
        name: str,
        bot_token: str | None = None,
        bot_user_id: str | None = None,
        *,
        domain: str | None = None,
        bot_name: str = "nextstep",
    ) -> str:
        """Add a workspace with the app installed; returns its bot token."""
        suffix = team_id[1:] if team_id.startswith("T") else team_id
        bot_user_id = bot_user_id or f"UBOT{suffix}"
        token = bot_token or f"xoxb-{team_id}"
        with self._lock:
            self._workspaces[team_id] = Workspace(
                team_id=team_id,
                name=name,
                domain=domain or (re.sub(r"[^a-z0-9-]", "", name.lower()) or team_id.lower()),
                bot_user_id=bot_user_id,
                bot_id=f"B{suffix}",
            )
            self._tokens[token] = Token(token, team_id, bot_user_id, is_bot=True)
            self.add_user(team_id, bot_user_id, bot_name, real_name=bot_name, tz="UTC", is_bot=True)
        return token

    def add_user(
        self,
        team_id: str,
        user_id: str,
        name: str,
        real_name: str | None = None,
        tz: str = "America/Los_Angeles",
        is_admin: bool = False,
        is_owner: bool = False,
        deleted: bool = False,
        *,
        display_name: str | None = None,
        email: str | None = None,
        is_bot: bool = False,
    ) -> None:
        """Add (or replace) a member of a workspace."""
        ZoneInfo(tz)  # fail at seeding, not at users.info
        with self._lock:
            self._require_workspace(team_id)
            self._users[(team_id, user_id)] = User(
                team_id=team_id,
                id=user_id,
                name=name,
                real_name=real_name or name,
                display_name=display_name if display_name is not None else name,
                tz=tz,
                is_admin=is_admin,
                is_owner=is_owner,
                deleted=deleted,
                is_bot=is_bot,
                email=email,
            )

    def delete_user(self, team_id: str, user_id: str) -> None:
        """Deactivate a user, as an admin does: users.info still answers, with ``deleted: true``."""
        with self._lock:
            self._require_user(team_id, user_id).deleted = True

    def revoke_token(self, token: str) -> None:
        """The token now answers ``token_revoked`` (as after an uninstall)."""
        with self._lock:
            if token in self._tokens:
                self._tokens[token].revoked = True

    def workspace(self, team_id: str) -> dict[str, str]:
        """team_id, name, domain, bot_user_id, bot_id and app_id of a workspace."""
        with self._lock:
            ws = self._require_workspace(team_id)
            return {
                "team_id": ws.team_id,
                "name": ws.name,
                "domain": ws.domain,
                "bot_user_id": ws.bot_user_id,
                "bot_id": ws.bot_id,
                "app_id": self.app_id,
            }

    def user(self, team_id: str, user_id: str) -> dict[str, Any]:
        """The user as users.info returns it."""
        with self._lock:
            return self._user_dict(self._require_user(team_id, user_id))

    def _user_dict(self, user: User) -> dict[str, Any]:
        return {
            "id": user.id,
            "team_id": user.team_id,
            "name": user.name,
            "deleted": user.deleted,
            "real_name": user.real_name,
            **tz_fields(user.tz, self.wall_clock()),
            "is_admin": user.is_admin,
            "is_owner": user.is_owner,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": user.is_bot,
            "is_app_user": False,
            "profile": {
                "real_name": user.real_name,
                "real_name_normalized": user.real_name,
                "display_name": user.display_name,
                "display_name_normalized": user.display_name,
                "team": user.team_id,
                **({"email": user.email} if user.email else {}),
            },
        }

    def _auth_test(self, auth: Token, params: dict[str, Any]) -> dict[str, Any]:
        ws = self._workspaces[auth.team_id]
        user = self._users.get((auth.team_id, auth.user_id))
        return {
            "url": f"https://{ws.domain}.slack.com/",
            "team": ws.name,
            "user": user.name if user else auth.user_id,
            "team_id": ws.team_id,
            "user_id": auth.user_id,
            **({"bot_id": ws.bot_id} if auth.is_bot else {}),
            "is_enterprise_install": False,
        }

    def _users_info(self, auth: Token, params: dict[str, Any]) -> dict[str, Any]:
        user = self._users.get((auth.team_id, params.get("user") or ""))
        if user is None:
            raise FakeSlackError("user_not_found")
        return {"user": self._user_dict(user)}

    def _users_list(self, auth: Token, params: dict[str, Any]) -> dict[str, Any]:
        members = [self._user_dict(u) for (team, _), u in self._users.items() if team == auth.team_id]
        return {"members": members, "response_metadata": {"next_cursor": ""}}

    def _team_info(self, auth: Token, params: dict[str, Any]) -> dict[str, Any]:
        ws = self._workspaces[auth.team_id]
        return {"team": {"id": ws.team_id, "name": ws.name, "domain": ws.domain}}
