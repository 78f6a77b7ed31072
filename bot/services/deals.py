"""Deals beyond the meeting form: replacing a prospect before you lose it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.errors import FieldErrors
from bot.services.meetings import MAX_NAME, NOT_OFFERED, default_deal_name, name_key, replacement_accounts
from bot.services.permissions import own_deal
from bot.services.reps import ensure_rep
from bot.services.store import Sessions
from bot.services.watching import watch
from bot.slack import ids
from models import Account, Deal, Workspace


def add_replacement_deal(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    replaces_deal_id: int,
    account_value: str | None,
    deal_name: str | None,
    now: datetime,
) -> Deal:
    """A new open deal that replaces one at risk or lost; the account is created on first use."""
    if not account_value:
        raise FieldErrors({ids.ACCOUNT: "Pick the account, or type a new one."})
    if deal_name and len(deal_name) > MAX_NAME:
        raise FieldErrors({ids.NEW_DEAL_NAME: f"Deal names can be at most {MAX_NAME} characters."})
    replaced = own_deal(session, team_id, user_id, replaces_deal_id)
    rep_id = replaced.owner_rep_id  # the person's own rep: own_deal said so
    replaced_account = session.get(Account, replaced.account_id)
    option = ids.parse_account_option(account_value)
    if option is None:
        if account_value.startswith(ids.NEW_ACCOUNT_PREFIX):
            raise FieldErrors({ids.ACCOUNT: "Type the account's name."})
        raise FieldErrors({ids.ACCOUNT: NOT_OFFERED})
    if option.account_id is not None:
        account = session.get(Account, option.account_id)
        if account is None or account.team_id != team_id:
            raise FieldErrors({ids.ACCOUNT: "That account no longer exists. Pick again."})
    else:
        name = option.new_name or ""
        if len(name) > MAX_NAME:
            raise FieldErrors({ids.ACCOUNT: f"Account names can be at most {MAX_NAME} characters."})
        account = session.scalar(
            select(Account).where(Account.team_id == team_id, Account.name_key == name_key(name))
        )
        if account is None:
            account = Account(
                team_id=team_id,
                name=name,
                name_key=name_key(name),
                # Same territory: the replacement is planned where the rep already works.
                territory=replaced_account.territory if replaced_account else None,
                created_by_rep_id=rep_id,
                created_at=now,
            )
            session.add(account)
            session.flush()
    ensure_rep(session, team_id, user_id, now)
    deal = Deal(
        team_id=team_id,
        account_id=account.id,
        owner_rep_id=rep_id,
        name=" ".join((deal_name or "").split()) or default_deal_name(account.name),
        replaces_deal_id=replaced.id,
        created_at=now,
    )
    workspace = session.get(Workspace, team_id)
    if workspace is not None:  # a deal with no meeting yet stalls like any other
        watch(deal, now + timedelta(days=workspace.stalled_after_days))
    session.add(deal)
    session.commit()
    return deal


@dataclass(frozen=True)
class Replacement:
    """The replacement deal as its confirmation names it."""

    account_name: str
    deal_name: str
    replaces_account: str


def replace_prospect(
    sessions: Sessions,
    *,
    team_id: str,
    user_id: str,
    replaces_deal_id: int,
    account_value: str | None,
    deal_name: str | None,
    now: datetime,
) -> Replacement:
    """The replacement modal's Save: ``add_replacement_deal``, and the names its confirmation says."""
    with sessions() as session:
        deal = add_replacement_deal(
            session,
            team_id=team_id,
            user_id=user_id,
            replaces_deal_id=replaces_deal_id,
            account_value=account_value,
            deal_name=deal_name,
            now=now,
        )
        replaced = session.get(Deal, replaces_deal_id)
        return Replacement(deal.account.name, deal.name, replaced.account.name if replaced else "")


@dataclass(frozen=True)
class LostDeal:
    """A deal just lost, with the rep's accounts in its territory that could replace it."""

    deal_id: int
    account_name: str
    deal_name: str
    territory: str | None
    accounts: list[tuple[int, str]]


def lost_deal(sessions: Sessions, team_id: str, deal_id: int) -> LostDeal | None:
    with sessions() as session:
        deal = session.get(Deal, deal_id)
        account = (
            session.get(Account, deal.account_id) if deal is not None and deal.team_id == team_id else None
        )
        if deal is None or account is None:
            return None
        return LostDeal(
            deal.id,
            account.name,
            deal.name,
            account.territory,
            replacement_accounts(session, team_id, deal.owner_rep_id, account.id),
        )


# ---------------------------------------------------------------- per click: one session, plain values


@dataclass(frozen=True)
class ReplacementFor:
    """What the replacement modal is prefilled with: the deal being replaced and its account."""

    deal_id: int
    account_name: str
    deal_name: str
    territory: str | None


def replacement_for(
    session_factory: Callable[[], Session], team_id: str, user_id: str, deal_id: int | None
) -> ReplacementFor:
    """The rep's own deal to replace; NotAllowed (``DEAL_NOT_YOURS``) for any other."""
    with session_factory() as session:
        deal = own_deal(session, team_id, user_id, deal_id)
        account = session.get(Account, deal.account_id)
        return ReplacementFor(
            deal.id, account.name if account else "", deal.name, account.territory if account else None
        )
