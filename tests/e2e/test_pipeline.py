"""The pipeline over real signed requests: App Home, deal history, edits, team view, export, and refusals."""

from __future__ import annotations

import csv
import io
import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from bot.domain.vocabulary import Reaction
from bot.slack import ids
from bot.slackfake.render import render_message, render_view
from bot.slackfake.user import SlackUser
from handlers.commands.export import TEAM_EXPORT_REFUSED
from handlers.deal_access import DEAL_REFUSED
from models import Deal, Meeting, NextStep, Rep, SalesTeam
from tests.e2e.conftest import SECRET, TEAM, install, submit_with, told
from tests.seeds import pipeline as seed

DAY = timedelta(days=1)


def _text(view) -> str:
    return render_view(view, width=200).replace("*", "")


# An amount no Slack id or timestamp can contain by chance: a plain "90000" once
# matched the fake's DM channel id "DE4F9000001" and failed CI.
SECRET_AMOUNT = "73519.64"
SECRET_AMOUNT_SHOWN = ("73519.64", "73,520")


def _seed_sams_deal(engine) -> int:
    now = datetime.now(UTC)
    with Session(engine) as session:
        sam = seed.rep(session, "T1", "U2", now, "Sam Park")
        deal = seed.deal(session, sam, "Secret Corp", now - 20 * DAY, amount=SECRET_AMOUNT)
        seed.meeting(
            session, deal, now - 3 * DAY, Reaction.HESITANT, ask="Budget talk with their CFO next week?"
        )
        session.commit()
        return deal.id


def _forged_click(user: SlackUser, action_id: str, value: str, *, overflow: bool = False):
    """A block_actions payload naming a value the person was never shown."""
    x = {"type": "plain_text", "text": "x"}
    element = (
        {"type": "overflow", "action_id": action_id, "options": [{"text": x, "value": value}]}
        if overflow
        else {"type": "button", "action_id": action_id, "value": value, "text": x}
    )
    surface = {
        "id": (user.home or {}).get("id", "V0FORGED"),
        "blocks": [{"type": "actions", "block_id": "forged", "elements": [element]}],
    }
    return user.click(action_id, in_view=surface, value=value if overflow else None)


# Every button whose value names a row, and values that name none: too big for a
# PostgreSQL integer, not ASCII digits, zero, negative, empty.
ROW_ID_BUTTONS = (
    ids.BOOKED_IT,
    ids.ADD_REPLACEMENT_DEAL,
    ids.LOG_MEETING_FOR_ACCOUNT,
    ids.OPEN_DEAL,
    ids.HOME_LOG_MEETING,
    ids.HOME_BOOK_STEP,
    ids.HOME_PAGE,
    ids.EDIT_MEETING,
    ids.WITHDRAW_MEETING,
    ids.REASSIGN_DEAL,
    ids.NUDGE_LOG_MEETING,
    ids.NUDGE_BOOKED_IT,
    ids.NUDGE_RESCHEDULED,
    ids.NUDGE_DIDNT_HAPPEN,
    ids.NUDGE_MARK_LOST,
    ids.NUDGE_REPLACE,
)
NONSENSE_IDS = ("99999999999", "9223372036854775808", "\u00b2", "0", "-1", "")


def test_clicks_naming_no_row_are_answered_without_an_error_or_a_write(fake, running, maria, caplog):
    assert submit_with(maria, fake) == {}
    fake.wait_until(lambda: maria.last_dm())
    fake.wait_idle(quiet=0.2)
    opened_before = len(fake.calls_to("views.open"))
    caplog.set_level(logging.WARNING)
    for action_id in ROW_ID_BUTTONS:
        for raw in NONSENSE_IDS:
            assert _forged_click(maria, action_id, raw).status == 200, (action_id, raw)
    for raw in NONSENSE_IDS:
        assert _forged_click(maria, ids.HOME_DEAL_MENU, f"edit:{raw}", overflow=True).status == 200
        assert _forged_click(maria, ids.NUDGE_SNOOZE, f"{raw}:1d", overflow=True).status == 200
    fake.wait_idle(quiet=0.3)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    # only "Log a meeting" opens anything: a blank /meeting modal, no account chosen
    opened = [c.params["view"] for c in fake.calls_to("views.open")[opened_before:]]
    assert len(opened) == len(NONSENSE_IDS)
    for view in opened:
        assert view["callback_id"].startswith(ids.MEETING_MODAL)
        (account,) = [b for b in view["blocks"] if b.get("block_id") == ids.ACCOUNT]
        assert "initial_option" not in account["element"]
    with Session(running.engine) as session:
        (meeting,) = session.query(Meeting).all()
        assert meeting.withdrawn_at is None and meeting.version == 1


def test_logging_a_meeting_fills_the_home_and_the_history_reads_as_a_timeline(fake, running, maria):
    assert submit_with(maria, fake) == {}
    fake.wait_until(maria.last_dm)
    fake.wait_idle(quiet=0.3)
    assert maria.home is None, "nobody looked at the Home: the write does not rebuild it"
    maria.open_home()
    home = fake.wait_until(lambda: maria.home)
    text = _text(home)
    assert "Your pipeline" in text and "1 open deal: 0 overdue · 1 not scheduled" in text
    assert "Umbrella · Umbrella opportunity" in text and "Not scheduled since today" in text
    assert "1 meeting held" in text and "Last reaction: Agreed, not yet scheduled" in text
    assert "Your last meeting: Umbrella" in text

    maria.open_home()  # app_home_opened publishes it again, from the store
    maria.click(ids.OPEN_DEAL)
    history = fake.wait_until(
        lambda: maria.view if maria.view and maria.view["callback_id"] == ids.DEAL_HISTORY_MODAL else None
    )
    text = _text(history)
    assert "Ask: “Can we book Tuesday at 2pm for the demo?”" in text
    assert "Reaction: Agreed, not yet scheduled" in text and "agreed, no date yet" in text


def test_withdrawing_from_the_coaching_dm_keeps_the_meeting_in_history_only(fake, running, maria):
    assert submit_with(maria, fake) == {}
    dm = fake.wait_until(
        lambda: maria.last_dm() if "Edit it" in render_message(maria.last_dm() or {}) else None
    )
    maria.open_home()  # she looks at it: the withdrawal rebuilds it
    fake.wait_until(lambda: maria.home and "1 meeting held" in _text(maria.home))
    maria.click(ids.WITHDRAW_MEETING, in_message=dm)
    fake.wait_until(lambda: any("Withdrawn." in e.get("text", "") for e in maria.ephemerals()))
    # the coaching DM says so in place, without its Edit/Withdraw buttons
    updated = fake.wait_until(
        lambda: (m := fake.message(dm["channel"], dm["ts"])) and "Withdrawn." in render_message(m) and m
    )
    assert "Withdraw it" not in render_message(updated) and "Edit it" not in render_message(updated)
    with Session(running.engine) as session:
        (meeting,) = session.query(Meeting).all()
        assert meeting.withdrawn_at is not None
    home = fake.wait_until(
        lambda: maria.home if "0 meetings held" in _text(maria.home or {"blocks": []}) else None
    )
    assert "Your last meeting" not in _text(home)
    # a second withdrawal of the same meeting is refused politely
    maria.click(ids.WITHDRAW_MEETING, in_message=dm)
    fake.wait_until(lambda: any("only your last meeting" in e.get("text", "") for e in maria.ephemerals()))


def test_a_mistake_reads_the_same_when_logging_and_when_editing_the_meeting(fake, running, maria):
    errors = submit_with(maria, fake, **{ids.ASK: None})
    missing_ask = errors[ids.ASK]
    assert "what did you ask them to agree to?" in missing_ask
    maria.fill(ids.ASK, "Can we book Tuesday at 2pm for the demo?")
    assert maria.submit().status == 200 and maria.errors == {}
    dm = fake.wait_until(
        lambda: maria.last_dm() if "Edit it" in render_message(maria.last_dm() or {}) else None
    )
    maria.click(ids.EDIT_MEETING, in_message=dm)
    fake.wait_until(lambda: maria.view and maria.view["callback_id"] == ids.EDIT_MEETING_MODAL)
    maria.fill(ids.ASK, "")
    assert maria.submit().status == 200
    assert maria.errors == {ids.ASK: missing_ask}, "next to the field, in the words /meeting uses"
    with Session(running.engine) as session:
        (meeting,) = session.query(Meeting).all()
        assert (meeting.version, meeting.ask_text) == (1, "Can we book Tuesday at 2pm for the demo?")


def test_a_rep_asking_for_another_reps_deal_learns_nothing(fake, running, maria, caplog):
    caplog.set_level(logging.DEBUG)
    deal_id = _seed_sams_deal(running.engine)
    maria.open_home()
    _forged_click(maria, ids.OPEN_DEAL, str(deal_id))
    fake.wait_until(lambda: DEAL_REFUSED in told(maria))
    assert fake.calls_to("views.open") == []

    response = maria.slash("/nextsteps", "deal Secret")
    assert response.status == 200
    fake.wait_idle(quiet=0.2)
    # what the person reads: the text and blocks of every reply, not Slack's ids around them
    shown = [*maria.ephemerals(), *maria.dms(), *(p.body for p in fake.response_posts)]
    replies = " ".join(render_message(m) + " " + str(m.get("text", "")) for m in shown)
    assert "Secret Corp" not in replies and "Sam" not in replies
    assert not any(amount in replies for amount in SECRET_AMOUNT_SHOWN)
    assert "among the deals you can see" in replies
    assert fake.calls_to("views.open") == []
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Secret Corp" not in logged and "Budget talk" not in logged
    assert not any(amount in logged for amount in SECRET_AMOUNT_SHOWN)


def test_the_owner_finds_their_deal_by_name(fake, running, person):
    _seed_sams_deal(running.engine)
    sam = person("U2")
    assert sam.slash("/nextsteps", "deal secret").status == 200
    view = fake.wait_until(lambda: sam.view)
    assert "Secret Corp · Secret Corp opportunity" in _text(view)
    assert "Budget talk with their CFO next week?" in _text(view)


def test_team_is_for_managers_and_shows_their_reps_hygiene(fake, running, maria, person):
    _seed_sams_deal(running.engine)
    response = maria.slash("/nextsteps", "team")
    assert "is for managers" in response.text and "Sam" not in response.text

    with Session(running.engine) as session:
        team = SalesTeam(team_id="T1", name="West", manager_user_id="U1", created_at=datetime.now(UTC))
        session.add(team)
        session.flush()
        sam = session.query(seed.Rep).filter_by(user_id="U2").one()
        sam.sales_team_id = team.id
        session.commit()
    body = maria.slash("/nextsteps", "team").json()
    text = " ".join(render_message(body, width=300).replace("*", "").split())
    assert "Sam Park: 1 open · 1 without a booked next step · 0 overdue · 0 stalled · 0 time sinks" in text
    # now Sam's manager, Maria may read the deal's history
    deal_id = _seed_deal_id(running.engine, "Secret Corp")
    _forged_click(maria, ids.OPEN_DEAL, str(deal_id))
    view = fake.wait_until(lambda: maria.view)
    assert "Owner: Sam Park" in _text(view) and "Reassign the deal" in _text(view)


def _seed_deal_id(engine, account: str) -> int:
    with Session(engine) as session:
        return next(d.id for d in session.query(seed.Deal).all() if d.account.name == account)


def test_a_rep_exporting_team_is_refused_and_their_own_export_arrives_as_csv(fake, running, maria):
    _seed_sams_deal(running.engine)
    response = maria.slash("/nextsteps", "export team")
    assert response.text == TEAM_EXPORT_REFUSED
    fake.wait_idle(quiet=0.2)
    assert fake.files("T1") == []

    assert submit_with(maria, fake) == {}
    fake.wait_until(maria.last_dm)
    maria.slash("/nextsteps", "export")
    (upload,) = fake.wait_until(lambda: fake.files("T1"))
    assert upload["channel"] == fake.dm_channel_id("T1", "U1")
    rows = list(csv.DictReader(io.StringIO(upload["content"].decode("utf-8"))))
    assert [(r["account"], r["reaction"], r["ask"]) for r in rows] == [
        ("Umbrella", "agreed_unscheduled", "Can we book Tuesday at 2pm for the demo?")
    ]
    assert "Secret Corp" not in upload["content"].decode()


def test_a_user_of_workspace_b_naming_a_deal_of_workspace_a_is_refused(fake, engine, caplog):
    from tests.e2e.conftest import assert_everything_sent_is_valid, start_app

    caplog.set_level(logging.DEBUG)
    running, server = start_app(
        fake, engine, bot_token=None, client_id=fake.oauth_client_id, client_secret=fake.oauth_client_secret
    )
    try:
        fake.add_workspace(team_id="TA", name="Alpha", bot_token="xoxb-a", bot_user_id="UBOTA")
        fake.add_workspace(team_id="TB", name="Beta", bot_token="xoxb-b", bot_user_id="UBOTB")
        fake.add_user("TA", "UA1", "ann", is_admin=True)
        fake.add_user("TB", "UB1", "bob", is_admin=True)
        fake.add_user("TB", "UB2", "bea")
        assert install(fake, running, "TA", "UA1").status_code == 200
        assert install(fake, running, "TB", "UB1").status_code == 200
        with Session(engine) as session:
            ann = seed.rep(session, "TA", "UA1", datetime.now(UTC), "Ann")
            deal = seed.deal(session, ann, "Alpha Secret", datetime.now(UTC) - DAY)
            session.commit()
            deal_id = deal.id
        for user_id in ("UB1", "UB2"):  # an admin of B is no admin of A
            person = SlackUser(fake, running.events_url, SECRET, "TB", user_id)
            _forged_click(person, ids.OPEN_DEAL, str(deal_id))
            fake.wait_until(lambda p=person: DEAL_REFUSED in told(p))
            person.slash("/nextsteps", "deal Alpha")
            fake.wait_idle(quiet=0.2)
        assert fake.calls_to("views.open") == []
        everything = " ".join(str(c.params) for c in fake.calls) + " ".join(
            str(p.body) for p in fake.response_posts
        )
        assert "Alpha Secret" not in everything
        assert "Alpha Secret" not in "\n".join(r.getMessage() for r in caplog.records)
    finally:
        fake.wait_idle(quiet=0.2)
        server.stop()
    assert_everything_sent_is_valid(fake)


def _deal_menu(user: SlackUser, fake, choice: str, deal_id: int) -> None:
    home = fake.wait_until(lambda: user.home)
    user.click(ids.HOME_DEAL_MENU, in_view=home, value=f"{choice}:{deal_id}")


def test_the_owner_edits_the_deal_then_marks_it_lost_from_the_home_tab(fake, running, maria):
    assert submit_with(maria, fake) == {}
    maria.open_home()
    fake.wait_until(lambda: maria.home and "Umbrella" in _text(maria.home))
    with Session(running.engine) as session:
        (deal,) = session.query(Deal).all()

    _deal_menu(maria, fake, "edit", deal.id)
    fake.wait_until(lambda: maria.view and maria.view["callback_id"] == ids.EDIT_DEAL_MODAL)
    maria.fill(ids.DEAL_AMOUNT, "about 20k")
    maria.submit()
    assert ids.DEAL_AMOUNT in maria.errors  # next to the field; nothing saved
    maria.fill(ids.DEAL_AMOUNT, "25,000")
    maria.fill(ids.DEAL_STAGE, "Proposal")
    assert maria.submit().status == 200 and maria.errors == {}
    fake.wait_until(lambda: "25,000 · Proposal" in _text(maria.home))

    _deal_menu(maria, fake, "lost", deal.id)
    fake.wait_until(lambda: maria.view and maria.view["callback_id"] == ids.DEAL_LOST_MODAL)
    maria.submit()
    assert ids.LOST_REASON in maria.errors
    maria.fill(ids.LOST_REASON, "competitor")
    assert maria.submit().status == 200 and maria.errors == {}
    fake.wait_until(lambda: "0 open deals" in _text(maria.home))
    with Session(running.engine) as session:
        deal = session.get(Deal, deal.id)
        assert (deal.status, deal.lost_reason, deal.amount) == ("lost", "competitor", Decimal("25000.00"))
        assert all(s.status == "cancelled" for s in session.query(NextStep).filter_by(deal_id=deal.id))


def test_an_admin_reassigns_a_deal_from_its_history_and_a_rep_cannot(fake, running, maria, person):
    assert submit_with(maria, fake) == {}
    fake.add_user(TEAM, "UADA", "ada", real_name="Ada Admin", tz="Europe/Paris", is_admin=True)
    fake.add_user(TEAM, "U3", "sam", real_name="Sam Park", tz="Europe/Berlin")
    with Session(running.engine) as session:
        (deal,) = session.query(Deal).all()

    sam = person("U3")  # not an admin, not Maria's manager: the button is refused
    _forged_click(sam, ids.REASSIGN_DEAL, str(deal.id))
    fake.wait_until(lambda: any("Only the rep's manager or an admin" in text for text in told(sam)))

    ada = person("UADA")
    assert ada.slash("/nextsteps", "deal Umbrella").status == 200
    history = fake.wait_until(
        lambda: ada.view if ada.view and ada.view["callback_id"] == ids.DEAL_HISTORY_MODAL else None
    )
    ada.click(ids.REASSIGN_DEAL, in_view=history)
    fake.wait_until(lambda: ada.view and ada.view["callback_id"] == ids.REASSIGN_MODAL)
    ada.fill(ids.REASSIGN_TO, "U3")
    assert ada.submit().status == 200 and ada.errors == {}
    with Session(running.engine) as session:
        owner = session.get(Rep, session.get(Deal, deal.id).owner_rep_id)
        assert owner.user_id == "U3"  # stored before the modal closed
        step = session.query(NextStep).filter_by(deal_id=deal.id).one()
        assert session.get(Rep, step.rep_id).user_id == "U3"  # the open step moves with the deal
