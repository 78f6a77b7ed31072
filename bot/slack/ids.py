"""Every callback_id, block_id and action_id the app uses, named for what the person chose.

Handlers and Block Kit builders share these; the simulated Slack user in tests
reaches the same fields through them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Views (callback_id). The suffix is the version of the fields the submission
# handler expects: bump it when the modal's fields change so that a modal opened
# before a deploy gets a clear "please reopen" instead of a half-understood submit.
MEETING_MODAL = "meeting_modal"
MEETING_MODAL_VERSION = "3"
# The "Log a meeting" shortcuts (manifest.yml): global, and on a message (its text pre-fills the notes).
LOG_MEETING_SHORTCUT, LOG_MEETING_FROM_MESSAGE = "log_meeting_shortcut", "log_meeting_from_message"
BOOKED_IT_MODAL = "booked_it_modal"
BOOKED_IT_MODAL_VERSION = "1"

# /meeting modal blocks (block_id == action_id unless said otherwise).
ACCOUNT = "account"
DEAL = "deal"
NEW_DEAL_NAME = "new_deal_name"
HELD_AT = "held_at"
ASK = "ask"
ASK_TYPE = "ask_type"
REACTION = "reaction"
NEXT_STEP = "next_step"
NEXT_STEP_AT = "next_step_at"
KIND = "kind"
NOTES = "notes"
PREP_PREFIX = "prep_"  # prep_attendees, prep_agenda, ... (see vocabulary.PREP_QUESTIONS)

# Option values with a meaning of their own.
NEW_ACCOUNT_PREFIX = "new:"  # "new:<typed name>" in the account typeahead
ACCOUNT_ID_PREFIX = "acct:"  # "acct:<id>"
NEW_DEAL = "new_deal"

# Coaching DM buttons.
BOOKED_IT = "booked_it"  # value: next step id
ADD_REPLACEMENT_DEAL = "add_replacement_deal"  # value: lost/at-risk deal id
LOG_MEETING_FOR_ACCOUNT = "log_meeting_for_account"  # value: account id
CALENDAR_GOOGLE = "calendar_google"
CALENDAR_OUTLOOK = "calendar_outlook"

# The "Add a replacement deal" modal.
REPLACEMENT_MODAL = "replacement_modal"
REPLACEMENT_MODAL_VERSION = "1"

# Nudge DM buttons (value: the nudge id).
NUDGE_LOG_MEETING = "nudge_log_meeting"
NUDGE_BOOKED_IT = "nudge_booked_it"
NUDGE_RESCHEDULED = "nudge_rescheduled"
NUDGE_DIDNT_HAPPEN = "nudge_didnt_happen"
NUDGE_SNOOZE = "nudge_snooze"  # a static select; option value "<nudge id>:<1d|3d|next_week>"
NUDGE_MARK_LOST = "nudge_mark_lost"
NUDGE_REPLACE = "nudge_replace"
NUDGE_BLOCK_PREFIX = "nudge_"  # nudge_<id> / nudge_<id>_actions

# The "Mark lost" modal.
MARK_LOST_MODAL = "mark_lost_modal"
MARK_LOST_MODAL_VERSION = "1"
LOST_REASON = "lost_reason"

# The pipeline (issue 5): App Home, deal history, deal and meeting edits.
OPEN_DEAL = "open_deal"  # value: deal id; opens the deal's history (App Home, nudges, digest)
DEAL_HISTORY_MODAL = "deal_history_modal"
HOME_LOG_MEETING = "home_log_meeting"  # value: deal id
HOME_BOOK_STEP = "home_book_step"  # value: next step id
HOME_DEAL_MENU = "home_deal_menu"  # overflow; option value "<edit|won|lost|reassign>:<deal id>"
HOME_PAGE = "home_page"  # value: the first deal's position on that page
EDIT_MEETING = "edit_meeting"  # value: meeting id
WITHDRAW_MEETING = "withdraw_meeting"  # value: meeting id
EDIT_MEETING_MODAL = "edit_meeting_modal"
EDIT_MEETING_MODAL_VERSION = "1"
EDIT_DEAL_MODAL = "edit_deal_modal"
EDIT_DEAL_MODAL_VERSION = "1"
DEAL_LOST_MODAL = "deal_lost_modal"
DEAL_LOST_MODAL_VERSION = "1"
REASSIGN_MODAL = "reassign_modal"
REASSIGN_MODAL_VERSION = "1"
DEAL_NAME = "deal_name"
DEAL_AMOUNT = "deal_amount"
DEAL_STAGE = "deal_stage"
DEAL_CLOSE = "deal_close"
REASSIGN_TO = "reassign_to"
REASSIGN_DEAL = "reassign_deal"  # value: deal id; in the history modal, for managers and admins
# A manager's override of a deal's forecast (issue 18): the history modal's button, its modal and fields.
OVERRIDE_FORECAST = "override_forecast"  # value: deal id
OVERRIDE_MODAL = "override_forecast_modal"  # private_metadata: deal id
OVERRIDE_MODAL_VERSION = "1"
OVERRIDE_PROBABILITY = "override_probability"
OVERRIDE_REASON = "override_reason"

# The `/nextsteps settings` modal (block_id == action_id; a team's fields end in _<team id> or _new).
SETTINGS_MODAL = "settings_modal"
SETTINGS_MODAL_VERSION = "1"
SETTING_TIMEZONE = "setting_timezone"
SETTING_CHANNEL = "setting_channel"
SETTING_WEEKDAY = "setting_weekday"
SETTING_POST_TIME = "setting_post_time"
SETTING_MIN_MEETINGS = "setting_min_meetings"
SETTING_WORK_START = "setting_work_start"
SETTING_WORK_END = "setting_work_end"
SETTING_WORK_DAYS = "setting_work_days"
SETTING_HOLIDAYS = "setting_holidays"
SETTING_FIRST_NUDGE_HOURS = "setting_first_nudge_hours"
SETTING_NUDGE_EVERY_DAYS = "setting_nudge_every_days"
SETTING_MAX_NUDGES = "setting_max_nudges"
SETTING_OVERDUE_HOURS = "setting_overdue_hours"
SETTING_STALLED_DAYS = "setting_stalled_days"
SETTING_FORECAST_STALE_DAYS = "setting_forecast_stale_days"
TEAM_NAME = "team_name_"
TEAM_MANAGER = "team_manager_"
TEAM_REPS = "team_reps_"
TEAM_CHANNEL = "team_channel_"


# Row ids travel in button and option values, which a client can forge. Rows use
# 32-bit integer keys on PostgreSQL, so a longer number must read as "no such row"
# rather than reach the database as an out-of-range parameter.
MAX_ROW_ID = 2**31 - 1


def parse_row_id(raw: object) -> int | None:
    """The row id a payload value names, or None when it names none (not ASCII digits, or out of range)."""
    if not isinstance(raw, str) or not raw.isascii() or not raw.isdigit() or len(raw) > 10:
        return None
    value = int(raw)
    return value if 0 < value <= MAX_ROW_ID else None


# Slack's own ids, as Slack writes them: a kind letter, then capitals and digits. Anything else in a
# payload was not written by Slack; it is refused at the edge rather than echoed back or stored.
# (An underscore is allowed: Slack's ids never have one, but it is harmless, and the loopback
# fake's readable ids, C_GENERAL, use it.)
_SLACK_ID = r"[A-Z0-9_]{1,31}"
_USER_ID = re.compile(rf"[UW]{_SLACK_ID}")
_TEAM_ID = re.compile(rf"[TE]{_SLACK_ID}")
_CHANNEL_ID = re.compile(rf"[CDG]{_SLACK_ID}")
# A trigger id: "<number>.<number>.<hex>".
_TRIGGER_ID = re.compile(r"[0-9]{1,20}\.[0-9]{1,20}\.[0-9a-f]{1,64}")


# A message's ts: seconds "." microseconds.
_MESSAGE_TS = re.compile(r"[0-9]{1,12}\.[0-9]{1,8}")


def parse_message_ts(raw: object) -> str | None:
    """A message timestamp as Slack writes them, or None."""
    return _matching(_MESSAGE_TS, raw)


def _matching(pattern: re.Pattern[str], raw: object) -> str | None:
    return raw if isinstance(raw, str) and pattern.fullmatch(raw) else None


def parse_user_id(raw: object) -> str | None:
    """A Slack user id (U… or W…), or None when ``raw`` is not one."""
    return _matching(_USER_ID, raw)


def parse_team_id(raw: object) -> str | None:
    """A Slack workspace id (T…, or E… for an Enterprise Grid org), or None."""
    return _matching(_TEAM_ID, raw)


def parse_channel_id(raw: object) -> str | None:
    """A Slack conversation id (C…, D… or G…), or None."""
    return _matching(_CHANNEL_ID, raw)


def parse_trigger_id(raw: object) -> str | None:
    """A trigger id as Slack issues them, or None."""
    return _matching(_TRIGGER_ID, raw)


@dataclass(frozen=True)
class AccountOption:
    """An account typeahead option: an existing account's id, or a new account's typed name."""

    account_id: int | None = None
    new_name: str | None = None


def parse_account_option(raw: object) -> AccountOption | None:
    """The account a typeahead value names ("acct:<id>" or "new:<name>"), or None when the app never offered it."""
    if not isinstance(raw, str):
        return None
    if raw.startswith(ACCOUNT_ID_PREFIX):
        account_id = parse_row_id(raw[len(ACCOUNT_ID_PREFIX) :])
        return AccountOption(account_id=account_id) if account_id is not None else None
    if raw.startswith(NEW_ACCOUNT_PREFIX):
        name = " ".join(raw[len(NEW_ACCOUNT_PREFIX) :].split())
        return AccountOption(new_name=name) if name else None
    return None
