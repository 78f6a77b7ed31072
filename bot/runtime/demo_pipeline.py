"""The demo's pipeline chapter: a rep's App Home and a deal's history, as they read them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.slack import ids
from bot.slackfake.render import render_view

if TYPE_CHECKING:
    from bot.runtime.demo import Demo


def pipeline_chapter(demo: Demo, number: int) -> None:
    """Maria opens the app's Home tab, then the history of her most urgent deal."""
    s, maria = demo.story, demo.maria
    s.chapter(number, "The pipeline: App Home and a deal's history")
    s.say(
        f"{maria.first} opens the app's Home tab: her open deals, most urgent first, with the look-back data."
    )
    maria.person.open_home()
    home = demo.wait("the App Home", lambda: maria.person.home)
    s.frame(maria, "App Home", render_view(home, width=demo_width(), tz=maria.tz))
    s.say(f"{maria.first} clicks History on the first deal.")
    first = next(
        (e for b in home["blocks"] for e in b.get("elements") or [] if e.get("action_id") == ids.OPEN_DEAL),
        None,
    )
    if first is None:
        s.note("No deal to open yet.")
        return
    maria.person.click(ids.OPEN_DEAL, in_view=home, value=first["value"])
    view = demo.wait_for_modal(maria, ids.DEAL_HISTORY_MODAL)
    s.frame(maria, "modal", render_view(view, width=demo_width(), tz=maria.tz))
    maria.person.close()


def demo_width() -> int:
    from bot.runtime.demo import INNER

    return INNER
