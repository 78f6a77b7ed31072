"""A loopback fake of the Slack Web API, for tests and ``nextstep demo``.

The app under test talks to it through ``slack_sdk.WebClient(base_url=fake.api_url)``
exactly as it talks to Slack: same request shapes, same response shapes, same
error codes. Tests seed workspaces, users and channels, then read back what a
person would see (DMs, ephemerals, modals, the Home tab) and every call made.

Two clocks, both replaceable:
- ``fake.clock`` (default ``time.monotonic``) ages trigger ids, so a test can
  expire one without sleeping, and paces the opt-in rate limits
  (``enforce_rate_limits``);
- ``fake.wall_clock`` (default ``time.time``) stamps calls, message ts, view
  hashes and users' timezone offsets.
"""

from __future__ import annotations

from bot.slackfake.records import Call, FakeSlackError, ResponsePost
from bot.slackfake.server import ServerMixin
from bot.slackfake.views import ViewsMixin

__all__ = ["Call", "FakeSlack", "FakeSlackError", "ResponsePost"]


# The server mixin brings every family it routes to (rate limits, response URLs, files, OAuth,
# and beneath them chat, conversations, users and the shared base); views come in beside it.
class FakeSlack(ServerMixin, ViewsMixin):
    """The Slack Web API on 127.0.0.1, in a background thread. Use as a context manager or start()/stop()."""

    def __init__(self, *, app_id: str = "A0NEXTSTEP") -> None:
        super().__init__(app_id=app_id)
        # Which family answers each Web API method (oauth.v2.access, which authenticates by
        # client id and secret rather than a token, is the server's own route).
        self._methods = {
            "auth.test": self._auth_test,
            "users.info": self._users_info,
            "users.list": self._users_list,
            "team.info": self._team_info,
            "conversations.open": self._conversations_open,
            "conversations.info": self._conversations_info,
            "conversations.join": self._conversations_join,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
        }
