"""What happens after the last unanswered reminder: the manager's digest, or the rep's App Home.

PRODUCT.md: two working days after the third unscheduled nudge the step goes to the manager's
digest; a rep without a manager keeps it flagged in their App Home. Per step: a deal that was
escalated once and has booked and moved on since starts clean.
"""

from __future__ import annotations

from datetime import timedelta

from slack_sdk.models.views import View
from sqlalchemy.orm import Session

from bot.domain.pipeline import FlagKind
from bot.domain.vocabulary import NextStepStatus, NudgeKind, Reaction
from bot.services.digest import build_digest
from bot.services.pipeline import escalated_steps, load_pipeline
from bot.services.reps import zone
from bot.slack.blocks.app_home import home_view
from bot.slackfake.render import render_view
from models import Deal, NextStep, Nudge, Rep, SalesTeam, Workspace
from tests.seeds import pipeline as seed

DAY = timedelta(days=1)


def _escalated_step(session: Session, rep: Rep, account: str, now) -> tuple[Deal, NextStep]:
    """A deal whose agreed step got three reminders, none answered, and was escalated yesterday."""
    deal = seed.deal(session, rep, account, now - 20 * DAY)
    meeting = seed.meeting(
        session, deal, now - 9 * DAY, Reaction.AGREED_UNSCHEDULED, step=NextStepStatus.UNSCHEDULED
    )
    step = session.query(NextStep).filter_by(meeting_id=meeting.id).one()
    for n, sent in enumerate((now - 9 * DAY, now - 7 * DAY, now - 5 * DAY), start=1):
        session.add(
            Nudge(
                team_id=rep.team_id,
                kind=NudgeKind.UNSCHEDULED,
                rep_id=rep.id,
                next_step_id=step.id,
                deal_id=deal.id,
                subject_key=f"step:{step.id}",
                window_key=str(n),
                due_at=sent,
                claimed_at=sent,
                sent_at=sent,
                escalated_at=now - DAY if n == 3 else None,
            )
        )
    session.flush()
    return deal, step


def _managed_rep(session: Session, now) -> Rep:
    """Maria, in the East team that UMGR manages."""
    team = SalesTeam(team_id="T1", name="East", manager_user_id="UMGR", created_at=now - 30 * DAY)
    seed.workspace(session, "T1", now)
    session.add(team)
    session.flush()
    return seed.rep(session, "T1", "U1", now, "Maria", sales_team_id=team.id)


def _home_text(session: Session, rep: Rep, now) -> str:
    view = home_view(load_pipeline(session, rep.team_id, rep, now), now, zone("UTC"))
    View(**view).to_dict()  # valid for Slack
    return " ".join(render_view(view, width=300).replace("*", "").split())


def test_a_rep_without_a_manager_keeps_the_escalated_step_flagged_in_app_home(session, now):
    maria = seed.rep(session, "T1", "U1", now, "Maria")
    deal, _ = _escalated_step(session, maria, "Acme", now)
    quiet = seed.deal(session, maria, "Initech", now - 3 * DAY)
    seed.meeting(session, quiet, now - DAY, Reaction.AGREED_UNSCHEDULED, step=NextStepStatus.UNSCHEDULED)

    p = load_pipeline(session, "T1", maria, now)
    (acme,) = [s for s in p.deals if s.facts.deal_id == deal.id]
    assert [f.kind for f in acme.flags] == [FlagKind.ESCALATED]
    assert p.deals[0].facts.deal_id == deal.id  # ahead of the fresh unscheduled step
    text = _home_text(session, maria, now)
    assert "Reminders unanswered: They agreed to a next step, it never got a date" in text
    assert "with no manager to hand it to, it stays flagged here" in text
    assert text.count("Reminders unanswered") == 1  # Initech's step is new: no flag


def test_with_a_manager_the_flag_says_where_it_went_and_the_digest_lists_it(session, now):
    maria = _managed_rep(session, now)
    _escalated_step(session, maria, "Acme", now)
    assert "so it is on your manager's weekly digest" in _home_text(session, maria, now)
    digest = build_digest(session, session.get(Workspace, "T1"), "UMGR", now)
    escalated = [
        item for items in digest.items.values() for item in items if "never scheduled" in item.detail
    ]
    assert [(i.deal_name, i.rep_name) for i in escalated] == [("Acme opportunity", "Maria")]


def test_a_step_booked_after_its_escalation_clears_it_and_the_next_step_starts_clean(session, now):
    maria = _managed_rep(session, now)
    deal, step = _escalated_step(session, maria, "Acme", now)
    assert escalated_steps(session, [deal.id]) == {step.id: now - DAY}

    # the escalated step was finally met; the meeting agreed a new step, not yet scheduled
    step.status = NextStepStatus.DONE
    seed.meeting(
        session,
        deal,
        now - timedelta(hours=2),
        Reaction.AGREED_UNSCHEDULED,
        step=NextStepStatus.UNSCHEDULED,
    )
    assert escalated_steps(session, [deal.id]) == {}
    text = _home_text(session, maria, now)
    assert "Reminders unanswered" not in text
    digest = build_digest(session, session.get(Workspace, "T1"), "UMGR", now)
    assert not any("never scheduled" in item.detail for items in digest.items.values() for item in items)
