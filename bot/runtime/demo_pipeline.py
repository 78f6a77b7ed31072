"""The demo's pipeline chapter: a rep's App Home and a deal's history, as they read them a week on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.slack import ids

if TYPE_CHECKING:
    from bot.runtime.demo import Demo


def pipeline_chapter(demo: Demo, number: int) -> None:
    """At the end of the simulated week, Maria opens the app's Home tab, then her first deal's history."""
    from bot.runtime.demo import DemoFailed

    s, maria = demo.story, demo.maria
    s.chapter(number, "A week later: Maria's App Home and a deal's history")
    s.say(
        f"{maria.first} opens the app's Home tab: her open deals, most urgent first, as they stand "
        "at the end of the week."
    )
    published = len(demo.fake.calls_to("views.publish"))
    maria.person.open_home()
    # The tab she had is from a week ago: wait for the one the app publishes now, as of now.
    demo.wait(
        "the App Home",
        lambda: any(
            c.params.get("user_id") == maria.user_id and c.status == 200
            for c in demo.fake.calls_to("views.publish")[published:]
        ),
    )
    home = maria.person.home
    if home is None:
        raise DemoFailed("the App Home was published but is empty")
    s.view(maria, "App Home", home)
    first = next(
        (e for b in home["blocks"] for e in b.get("elements") or [] if e.get("action_id") == ids.OPEN_DEAL),
        None,
    )
    if first is None:
        s.note("No deal to open yet.")
        return
    s.say(f"{maria.first} clicks History on the first deal.")
    maria.person.click(ids.OPEN_DEAL, in_view=home, value=first["value"])
    view = demo.wait_for_modal(maria, ids.DEAL_HISTORY_MODAL)
    s.view(maria, "modal", view)
    maria.person.close()


def demo_width() -> int:
    from bot.runtime.demo import INNER

    return INNER
