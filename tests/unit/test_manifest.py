"""manifest.yml asks for exactly what the app uses, and points every Slack surface at /slack/events."""

from __future__ import annotations

from pathlib import Path

import yaml

from handlers.app import BOT_SCOPES
from handlers.web import EVENTS_PATH

MANIFEST = yaml.safe_load((Path(__file__).parents[2] / "manifest.yml").read_text())


def test_scopes_are_the_ones_the_oauth_flow_requests():
    assert MANIFEST["oauth_config"]["scopes"]["bot"] == BOT_SCOPES


def test_commands_and_interactivity_go_to_the_events_path():
    commands = {c["command"]: c["url"] for c in MANIFEST["features"]["slash_commands"]}
    assert set(commands) == {"/meeting", "/nextsteps"}
    settings = MANIFEST["settings"]
    urls = [
        *commands.values(),
        settings["interactivity"]["request_url"],
        settings["interactivity"]["message_menu_options_url"],
        settings["event_subscriptions"]["request_url"],
    ]
    assert all(url.endswith(EVENTS_PATH) for url in urls)
    assert {"app_home_opened", "app_uninstalled", "tokens_revoked"} <= set(
        settings["event_subscriptions"]["bot_events"]
    )


def test_the_bot_can_dm_reps_and_show_the_home_tab():
    assert MANIFEST["features"]["app_home"]["messages_tab_enabled"] is True
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True


def test_both_log_a_meeting_shortcuts_are_declared_and_handled():
    from slack_bolt import App
    from slack_bolt.request import BoltRequest

    from bot.slack import ids
    from handlers.shortcuts import register

    shortcuts = {s["callback_id"]: s for s in MANIFEST["features"]["shortcuts"]}
    assert shortcuts[ids.LOG_MEETING_SHORTCUT]["type"] == "global"
    assert shortcuts[ids.LOG_MEETING_FROM_MESSAGE]["type"] == "message"
    assert all(s["name"] == "Log a meeting" and len(s["description"]) <= 80 for s in shortcuts.values())
    # Each declared callback_id has a listener: a registered shortcut matches its own payload.
    app = App(token="xoxb-test", signing_secret="s", token_verification_enabled=False)
    register(app)
    for callback_id, shortcut in shortcuts.items():
        kind = "shortcut" if shortcut["type"] == "global" else "message_action"
        body = {"type": kind, "callback_id": callback_id, "team": {"id": "T1"}, "user": {"id": "U1"}}
        request = BoltRequest(body="", mode="socket_mode")
        request.body = body
        assert any(listener.matches(req=request, resp=None) for listener in app._listeners), callback_id
