"""Hand-built weeks for the leaderboard tests: a workspace, reps, and meetings held when the test says."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.domain.vocabulary import AskType, NextStepStatus, Reaction
from models import Account, Deal, Meeting, NextStep, Rep, RepPause, SalesTeam, Workspace

BERLIN = ZoneInfo("Europe/Berlin")
# The reported week: Monday 16 to Sunday 22 November 2026; posted Monday 23rd at 09:00 Berlin.
MONDAY = datetime(2026, 11, 16, 10, tzinfo=BERLIN).astimezone(UTC)
POST_AT = datetime(2026, 11, 23, 9, tzinfo=BERLIN).astimezone(UTC)


class Builder:
    def __init__(self, session: Session, team_id: str = "T1", tz: str = "Europe/Berlin", **settings: object):
        self.session = session
        self.team_id = team_id
        self.workspace = Workspace(
            team_id=team_id,
            name="Acme Sales",
            timezone=tz,
            created_at=MONDAY - timedelta(days=365),
            installer_user_id=settings.pop("installer_user_id", "UADMIN"),
            welcomed_at=MONDAY - timedelta(days=365),
            **settings,
        )
        session.add(self.workspace)
        session.flush()
        self._n = 0

    def team(self, name: str, manager: str | None = None, channel: str | None = None) -> SalesTeam:
        team = SalesTeam(
            team_id=self.team_id,
            name=name,
            manager_user_id=manager,
            channel_id=channel,
            channel_chosen_by="UADMIN" if channel else None,
            created_at=MONDAY - timedelta(days=100),
        )
        self.session.add(team)
        self.session.flush()
        return team

    def rep(self, name: str, team: SalesTeam | None = None, **fields: object) -> Rep:
        self._n += 1
        rep = Rep(
            team_id=self.team_id,
            user_id=fields.pop("user_id", f"U{self._n:03d}"),  # type: ignore[arg-type]
            display_name=name,
            timezone=fields.pop("timezone", "Europe/Berlin"),  # type: ignore[arg-type]
            timezone_refreshed_at=MONDAY,
            sales_team_id=team.id if team else None,
            created_at=MONDAY - timedelta(days=200),
            **fields,
        )
        self.session.add(rep)
        self.session.flush()
        if rep.paused_until is not None:  # paused from a week before, as /nextsteps pause records it
            first_day = min(rep.paused_until, MONDAY.date()) - timedelta(days=7)
            self.session.add(
                RepPause(
                    team_id=self.team_id,
                    rep_id=rep.id,
                    first_day=first_day,
                    last_day=rep.paused_until,
                    created_at=MONDAY,
                )
            )
            self.session.flush()
        return rep

    def deal(self, rep: Rep, name: str | None = None, **fields: object) -> Deal:
        self._n += 1
        label = name or f"Deal {self._n}"
        account = Account(
            team_id=self.team_id, name=label, name_key=label.lower(), created_at=MONDAY - timedelta(days=60)
        )
        self.session.add(account)
        self.session.flush()
        deal = Deal(
            team_id=self.team_id,
            account_id=account.id,
            owner_rep_id=rep.id,
            name=label,
            created_at=fields.pop("created_at", MONDAY - timedelta(days=60)),  # type: ignore[arg-type]
            **fields,
        )
        self.session.add(deal)
        self.session.flush()
        return deal

    def meeting(
        self,
        rep: Rep,
        held_at: datetime,
        reaction: Reaction | None = Reaction.BOOKED,
        *,
        ask: AskType = AskType.SCHEDULED_MEETING,
        deal: Deal | None = None,
        logged_at: datetime | None = None,
        withdrawn: bool = False,
        step_at: datetime | None = None,
    ) -> Meeting:
        deal = deal or self.deal(rep)
        meeting = Meeting(
            team_id=self.team_id,
            deal_id=deal.id,
            rep_id=rep.id,
            held_at=held_at,
            ask_text="Can we meet Tuesday at 10?",
            ask_type=ask,
            graded_ask_type=ask,
            reaction=reaction,
            logged_at=logged_at or held_at + timedelta(minutes=30),
            withdrawn_at=held_at + timedelta(hours=1) if withdrawn else None,
        )
        self.session.add(meeting)
        if not withdrawn and (deal.last_meeting_at is None or held_at > deal.last_meeting_at):
            deal.last_meeting_at = held_at
        self.session.flush()
        if step_at is not None:
            self.step(rep, deal, step_at, meeting=meeting)
        return meeting

    def step(
        self,
        rep: Rep,
        deal: Deal,
        at: datetime,
        *,
        meeting: Meeting | None = None,
        status: NextStepStatus = NextStepStatus.BOOKED,
    ) -> NextStep:
        step = NextStep(
            team_id=self.team_id,
            deal_id=deal.id,
            meeting_id=meeting.id if meeting else None,
            rep_id=rep.id,
            description="Proposal review",
            scheduled_at=at,
            status=status,
            booked_at=at - timedelta(days=5),
            status_changed_at=at - timedelta(days=5),
            created_at=at - timedelta(days=5),
        )
        self.session.add(step)
        self.session.flush()
        return step

    def meetings(self, rep: Rep, held: int, booked: int, start: datetime = MONDAY) -> None:
        """``held`` meetings through the week, the first ``booked`` of them ending booked."""
        for i in range(held):
            self.meeting(
                rep, start + timedelta(hours=7 * i), Reaction.BOOKED if i < booked else Reaction.HESITANT
            )


def at(
    day: int, hour: int, minute: int = 0, tz: ZoneInfo = BERLIN, month: int = 11, year: int = 2026
) -> datetime:
    return (
        datetime.combine(datetime(year, month, day).date(), time(hour, minute))
        .replace(tzinfo=tz)
        .astimezone(UTC)
    )
