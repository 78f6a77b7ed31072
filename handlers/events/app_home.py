"""The App Home tab: rebuilt when someone looks at it, and after a write only when they did lately.

``app_home_opened`` and the Home's own clicks publish it at once (``publish_home``) and record
when the rep looked (``reps.home_opened_at``). A listener that changed what it shows calls
``refresh_home``: after the ack, in the lowest lane of ``handlers.after_ack``, and only when the
rep opened their Home within ``HOME_RECENT``; a burst of writes queued meanwhile publishes once.
A rep who has not looked for longer sees it rebuilt when they next open it.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.services.home import HOME_RECENT, home_content
from bot.services.reps import PROFILE_MAX_AGE, SlackProfile, is_rep, store_profile
from bot.slack.blocks.app_home import home_view
from handlers.after_ack import AFTER_ACK, Lane
from handlers.deps import Deps
from handlers.guard import guarded

log = logging.getLogger("nextstep")

# How long a user id Slack said it does not know is not asked about again.
UNKNOWN_FOR = timedelta(minutes=10)
MAX_UNKNOWN = 10_000
MAX_KNOWN = 100_000
# How long an event waits for another's users.info about the same person.
ASK_WAIT = 10.0


def build_home(
    deps: Deps, *, team_id: str, user_id: str, page_start: int = 0, looked: bool = True
) -> dict | None:
    """The rep's Home view as of the deps' clock (a first-time visitor gets an empty pipeline).

    ``looked``: they are looking at it now (recorded). Otherwise (after a write) None unless
    they looked within ``HOME_RECENT``.
    """
    now = deps.clock()
    content = home_content(deps.session_factory, team_id, user_id, now, looked=looked, page_start=page_start)
    if content is None:
        return None
    return home_view(content.page, now, content.tz, last=content.last)


def publish_home(client: WebClient, deps: Deps, *, team_id: str, user_id: str, page_start: int = 0) -> None:
    """The rep is looking at their Home (opened it, clicked in it): rebuild and publish it now."""
    view = build_home(deps, team_id=team_id, user_id=user_id, page_start=page_start)
    if view is not None:
        client.views_publish(user_id=user_id, view=view)


def refresh_home(
    client: WebClient, deps: Deps, *, team_id: str, user_id: str, opened_at: datetime | None | bool = True
) -> None:
    """After a write: the rep's Home again, after the ack, once per burst, if they looked lately.

    ``opened_at``: when they last opened it, when the write read it already (None: never);
    True (the default) when unknown, read by the refresh itself.
    """
    if opened_at is None or (isinstance(opened_at, datetime) and deps.clock() - opened_at > HOME_RECENT):
        return
    key = (team_id, user_id)
    with deps.home_lock:
        if key in deps.home_pending:
            return  # a refresh is queued already: it will read this write too
        deps.home_pending.add(key)

    def job() -> None:
        with deps.home_lock:
            deps.home_pending.discard(key)  # writes from now on queue another refresh
        view = build_home(deps, team_id=team_id, user_id=user_id, looked=False)
        if view is not None:
            client.views_publish(user_id=user_id, view=view)

    AFTER_ACK.submit(job, Lane.REFRESH, "home refresh")


@guarded
def home_opened(ack: Ack, body: dict, client: WebClient, context: dict) -> None:
    ack()
    event = body.get("event") or {}
    if event.get("tab", "home") != "home":
        return
    deps: Deps = context["deps"]
    team_id, user_id = context["team_id"], event["user"]  # a user id: checked at the edge
    if not known_person(client, deps, team_id=team_id, user_id=user_id):
        return
    # Slack refusing the view is answered by the guard: one line by its meaning (a dead token
    # marks the workspace), no traceback.
    publish_home(client, deps, team_id=team_id, user_id=user_id)


def known_person(client: WebClient, deps: Deps, *, team_id: str, user_id: str) -> bool:
    """A rep we have a row for, or someone Slack confirms (users.info) and who is then stored.

    Anybody can name a user id; one Slack does not know is logged once and remembered for
    UNKNOWN_FOR, so a flood of such events costs neither rows nor a users.info each (those that
    arrive while Slack is being asked wait for that answer).
    """
    now = deps.clock()
    key = (team_id, user_id)
    if key in deps.known_reps:
        return True
    if is_rep(deps.session_factory, team_id, user_id):
        if len(deps.known_reps) > MAX_KNOWN:
            deps.known_reps.clear()
        deps.known_reps.add(key)
        return True
    until = deps.unknown_people.get(key)
    if until is not None and now < until:
        return False
    with deps.people_lock:
        asked = deps.people_asked.get(key)
        first = asked is None
        if asked is None:
            asked = deps.people_asked[key] = threading.Event()
    if not first:  # another event for them is asking Slack: its answer is this one's too
        asked.wait(ASK_WAIT)
        until = deps.unknown_people.get(key)
        return (until is None or now >= until) and is_rep(deps.session_factory, team_id, user_id)
    try:
        return _ask_slack(client, deps, team_id=team_id, user_id=user_id, now=now)
    finally:
        with deps.people_lock:
            deps.people_asked.pop(key, None)
        asked.set()


def _ask_slack(client: WebClient, deps: Deps, *, team_id: str, user_id: str, now: datetime) -> bool:
    """users.info: a person Slack knows is stored; one it does not is remembered for UNKNOWN_FOR."""
    key = (team_id, user_id)
    try:
        user = client.users_info(user=user_id)["user"]
        profile = SlackProfile.from_users_info(user)
    except SlackApiError as error:
        user, reason = None, str(error.response.get("error"))
    if user is None or profile.deleted or user.get("is_bot"):
        reason = "deactivated or a bot" if user is not None else reason
        if len(deps.unknown_people) > MAX_UNKNOWN:
            deps.unknown_people.clear()
        deps.unknown_people[key] = now + UNKNOWN_FOR
        log.info("Home not shown team=%s: Slack does not know the user (%s)", team_id, reason)
        return False
    store_profile(deps.session_factory, team_id, profile, now, deps.admins)
    deps.fresh_profiles[key] = now + PROFILE_MAX_AGE
    return True


def register(app: App) -> None:
    app.event("app_home_opened")(home_opened)
