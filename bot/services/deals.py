"""Deals beyond the meeting form: replacing a prospect before you lose it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.errors import FieldErrors, NotAllowed
from bot.services.meetings import MAX_NAME, NOT_OFFERED, default_deal_name, name_key
from bot.services.reps import ensure_rep
from bot.services.watching import watch
from bot.slack import ids
from models import Account, Deal, Rep, Workspace


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
    replaced = session.get(Deal, replaces_deal_id)
    rep = session.scalar(select(Rep).where(Rep.team_id == team_id, Rep.user_id == user_id))
    if replaced is None or rep is None or replaced.team_id != team_id or replaced.owner_rep_id != rep.id:
        raise NotAllowed("That deal isn't one of yours.")
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
                created_by_rep_id=rep.id,
                created_at=now,
            )
            session.add(account)
            session.flush()
    ensure_rep(session, team_id, user_id, now)
    deal = Deal(
        team_id=team_id,
        account_id=account.id,
        owner_rep_id=rep.id,
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
