"""The Slack sandbox: a loopback fake of the Web API, a simulated person, and Block Kit as text."""

from bot.slackfake.fake import Call, FakeSlack, FakeSlackError, ResponsePost
from bot.slackfake.render import render_blocks, render_message, render_view
from bot.slackfake.user import AppResponse, SlackUser

__all__ = [
    "AppResponse",
    "Call",
    "FakeSlack",
    "FakeSlackError",
    "ResponsePost",
    "SlackUser",
    "render_blocks",
    "render_message",
    "render_view",
]
