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
