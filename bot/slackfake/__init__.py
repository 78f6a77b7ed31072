"""The Slack sandbox: a loopback fake of the Web API, a simulated person, and Block Kit as text."""

from bot.sandbox.fake_slack import Call, FakeSlack, FakeSlackError, ResponsePost
from bot.sandbox.render import render_blocks, render_message, render_view
from bot.sandbox.user import AppResponse, SlackUser

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
