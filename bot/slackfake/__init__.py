"""The Slack sandbox: a loopback fake of the Web API, a simulated person, and Block Kit as text.

Imports nothing from the app (import-linter): tests and the demo (bot.runtime) use it; the app
only ever talks to it over HTTP, through SLACK_API_URL.

FakeSlack (fake.py) is a facade over one mixin per Slack API family: server, users,
conversations, chat, responses (response_url), views, files, oauth and ratelimits, over base
(shared state) and records (dataclasses). SlackUser (user.py) composes person, person_modals and
person_clicks; render.py (Block Kit) draws text with mrkdwn.py.
"""

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
