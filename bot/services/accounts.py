"""Accounts and their open deals, as the `/meeting` modal offers them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import case, exists, func, select, true
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from bot.domain.vocabulary import DealStatus
from bot.services.meetings import name_key
from bot.slack import ids
from models import Account, Deal, Rep

# Slack shows at most 100 options in an external select, each value at most 150 characters:
# a new account's name travels in its option value.
MAX_OPTIONS = 100
MAX_NEW_NAME = 150 - len(ids.NEW_ACCOUNT_PREFIX)


@dataclass(frozen=True)
class AccountChoice:
    value: str  # "acct:<id>" or "new:<name>"
    label: str
    is_new: bool = False


def _contains(key: str) -> ColumnElement[bool]:
    """name_key contains ``key``; LIKE's wildcards in what was typed match themselves."""
    escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return Account.name_key.like(f"%{escaped}%", escape="\\")


def search_accounts(session: Session, team_id: str, user_id: str, typed: str) -> list[AccountChoice]:
    """The workspace's accounts matching what was typed, the rep's own first.

    Offers "➕ New account: <typed>" when no account matches exactly. The query is a
    substring scan of one workspace's accounts (uq_accounts_team_id_name_key narrows it
    to the workspace).
    """
    typed = " ".join(typed.split())[:MAX_NEW_NAME]
    key = name_key(typed)
    rep_id = select(Rep.id).where(Rep.team_id == team_id, Rep.user_id == user_id).scalar_subquery()
    own = (Account.created_by_rep_id == rep_id) | exists().where(
        Deal.account_id == Account.id, Deal.owner_rep_id == rep_id
    )
    query = select(Account.id, Account.name, Account.name_key).where(Account.team_id == team_id)
    if key:
        query = query.where(_contains(key))
    rows = session.execute(
        query.order_by(
            case((Account.name_key == key, 0), else_=1),
            case((own, 0), else_=1),
            case((Account.name_key.startswith(key, autoescape=True), 0), else_=1),
            func.lower(Account.name),
        ).limit(MAX_OPTIONS)
    ).all()
    choices = [AccountChoice(f"{ids.ACCOUNT_ID_PREFIX}{row.id}", row.name) for row in rows]
    if key and not any(row.name_key == key for row in rows):
        choices = [
            AccountChoice(f"{ids.NEW_ACCOUNT_PREFIX}{typed}", f"\u2795 New account: {typed}", True)
        ] + choices
    return choices[:MAX_OPTIONS]


def find_account(session: Session, team_id: str, text: str) -> AccountChoice | None:
    """The account `/meeting <text>` names: an exact match, else the one account containing it."""
    key = name_key(text)
    if not key:
        return None
    exact = session.scalar(select(Account).where(Account.team_id == team_id, Account.name_key == key))
    if exact is not None:
        return AccountChoice(f"{ids.ACCOUNT_ID_PREFIX}{exact.id}", exact.name)
    containing = session.scalars(
        select(Account).where(Account.team_id == team_id, _contains(key)).limit(2)
    ).all()
    if len(containing) == 1:  # "/meeting acme" when Acme Corp is the only match
        return AccountChoice(f"{ids.ACCOUNT_ID_PREFIX}{containing[0].id}", containing[0].name)
    name = " ".join(text.split())[:MAX_NEW_NAME]
    return AccountChoice(f"{ids.NEW_ACCOUNT_PREFIX}{name}", f"\u2795 New account: {name}", True)


def account_label(session: Session, team_id: str, value: str) -> AccountChoice | None:
    """The choice behind an option value, checked against this workspace."""
    if value.startswith(ids.NEW_ACCOUNT_PREFIX):
        name = " ".join(value[len(ids.NEW_ACCOUNT_PREFIX) :].split())
        return AccountChoice(value, f"\u2795 New account: {name}", True) if name else None
    account_id = ids.parse_row_id(value[len(ids.ACCOUNT_ID_PREFIX) :])
    if not value.startswith(ids.ACCOUNT_ID_PREFIX) or account_id is None:
        return None
    account = session.get(Account, account_id)
    if account is None or account.team_id != team_id:
        return None
    return AccountChoice(value, account.name)


def open_deals(
    session: Session, team_id: str, account_value: str | None, owner_user_id: str | None = None
) -> list[tuple[int, str]]:
    """The account's open deals, newest first (ix_deals_team_id_account_id_status); only the owner's when given."""
    if not account_value or not account_value.startswith(ids.ACCOUNT_ID_PREFIX):
        return []
    account_id = ids.parse_row_id(account_value[len(ids.ACCOUNT_ID_PREFIX) :])
    if account_id is None:
        return []
    rows = session.execute(
        select(Deal.id, Deal.name)
        .where(Deal.team_id == team_id, Deal.account_id == account_id, Deal.status == DealStatus.OPEN)
        .where(
            Deal.owner_rep_id.in_(select(Rep.id).where(Rep.team_id == team_id, Rep.user_id == owner_user_id))
            if owner_user_id is not None
            else true()
        )
        .order_by(Deal.created_at.desc(), Deal.id.desc())
        .limit(MAX_OPTIONS - 1)
    ).all()
    return [(row.id, row.name) for row in rows]


def chosen_account(
    sessions: sessionmaker[Session], team_id: str, account_value: str | None, owner_user_id: str | None = None
) -> tuple[AccountChoice | None, list[tuple[int, str]]]:
    """The account picked in the `/meeting` modal (checked against this workspace) and its open deals."""
    if not account_value:
        return None, []
    with sessions() as session:
        account = account_label(session, team_id, account_value)
        deals = open_deals(session, team_id, account.value, owner_user_id) if account else []
    return account, deals


# ---------------------------------------------------------------- per request: one session, plain values


def account_named(session_factory: Callable[[], Session], team_id: str, text: str) -> AccountChoice | None:
    """The account `/meeting <text>` names (``find_account``); None, without a query, for no name."""
    if not name_key(text):
        return None
    with session_factory() as session:
        return find_account(session, team_id, text)
