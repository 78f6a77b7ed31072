"""The coaching DM the rep gets after each `/meeting`: Block Kit for a `coaching.Coaching`."""

from __future__ import annotations

from bot.domain.coaching import Coaching, Outcome
from bot.slack import ids
from bot.slack.blocks.common import (
    MAX_BLOCKS,
    Block,
    actions,
    button,
    context,
    escape,
    fit,
    header,
    section,
    user_text,
)

EDIT_BLOCK_ID = "coaching_edit"
WITHDRAWN_NOTE = "Withdrawn. It stays in the deal's history, marked withdrawn, and counts in no metric."


def withdrawn_in_place(blocks: list[Block]) -> list[Block]:
    """The coaching DM once its meeting is withdrawn: the note where "Edit it / Withdraw it" were."""
    return [context(WITHDRAWN_NOTE) if b.get("block_id") == EDIT_BLOCK_ID else b for b in blocks]


def edit_meeting_buttons(meeting_id: int) -> Block:
    """ "Edit it" / "Withdraw it" for the rep's last meeting (allowed within 7 days of logging it)."""
    withdraw = button("Withdraw it", ids.WITHDRAW_MEETING, value=str(meeting_id), style="danger")
    withdraw["confirm"] = {
        "title": {"type": "plain_text", "text": "Withdraw this meeting?"},
        "text": {
            "type": "plain_text",
            "text": "It leaves every metric and stays in the deal's history, marked withdrawn.",
        },
        "confirm": {"type": "plain_text", "text": "Withdraw"},
        "deny": {"type": "plain_text", "text": "Keep it"},
    }
    return actions(
        [button("Edit it", ids.EDIT_MEETING, value=str(meeting_id)), withdraw], block_id=EDIT_BLOCK_ID
    )


MAX_REPLACEMENTS_SHOWN = 5
REPLACEMENT_BLOCK_PREFIX = "replacement_account_"  # + position in the list, so block_ids stay unique
_NAME_LIMIT = 200  # an account or deal name as shown
_ASK_LIMIT = 1000  # the rep's own words quoted back
_FALLBACK_LIMIT = 300


def _lines(lines: tuple[str, ...] | list[str]) -> str:
    return "\n\n".join(escape(line) for line in lines)


def _quote(text: str) -> str:
    return "\n".join(f">{line}" for line in text.splitlines() or [""])


def _ask_blocks(c: Coaching) -> list[Block]:
    blocks: list[Block] = []
    if c.ask_lines:
        blocks.append(section("*Your ask*\n" + _lines(c.ask_lines)))
    if c.stronger_ask:
        blocks.append(
            section("*A stronger ask, with a date*\n" + _quote(user_text(c.stronger_ask, _ASK_LIMIT)))
        )
    if c.smaller_step:
        blocks.append(section("*A smaller step, still scheduled*\n" + _quote(escape(c.smaller_step))))
    return blocks


def _booked_blocks(c: Coaching) -> list[Block]:
    blocks: list[Block] = []
    facts = []
    if c.when_text:
        facts.append(f"*When:* {escape(c.when_text)}")
    if c.next_step_description:
        facts.append(f"*Next step:* {user_text(c.next_step_description, _ASK_LIMIT)}")
    if facts:
        blocks.append(section("\n".join(facts)))
    if c.calendar:
        blocks.append(
            actions(
                [
                    button("Add to Google Calendar", ids.CALENDAR_GOOGLE, url=c.calendar.google),
                    button("Add to Outlook", ids.CALENDAR_OUTLOOK, url=c.calendar.outlook),
                ],
                block_id="coaching_calendar",
            )
        )
    if c.prep_answers:
        rows = [f"*{escape(q)}* {user_text(a, 500)}" for q, a in c.prep_answers]
        blocks.append(section("*Your prep*\n" + "\n".join(rows)))
    if c.prep_gaps:
        blocks.append(
            section("*Still open before that meeting*\n" + "\n".join(f"• {escape(g)}" for g in c.prep_gaps))
        )
    return blocks


def _booked_it_blocks(c: Coaching) -> list[Block]:
    if c.next_step_id is None:
        return []
    return [
        actions(
            [button("Booked it", ids.BOOKED_IT, value=str(c.next_step_id), style="primary")],
            block_id="coaching_booked_it",
        )
    ]


def _replacement_blocks(c: Coaching) -> list[Block]:
    blocks = [
        actions(
            [
                button(
                    "Add a replacement deal", ids.ADD_REPLACEMENT_DEAL, value=str(c.deal_id), style="primary"
                )
            ],
            block_id="coaching_replace",
        )
    ]
    if not c.replacement_accounts:
        return blocks
    where = f"in {user_text(c.territory, _NAME_LIMIT)}" if c.territory else "in your territory"
    blocks.append(section(f"*Your accounts {where} with no open deal*"))
    shown = c.replacement_accounts[:MAX_REPLACEMENTS_SHOWN]
    for position, (account_id, name) in enumerate(shown):
        blocks.append(
            section(
                user_text(name, _NAME_LIMIT),
                block_id=f"{REPLACEMENT_BLOCK_PREFIX}{position}",
                accessory=button(
                    "Log a meeting",
                    ids.LOG_MEETING_FOR_ACCOUNT,
                    value=str(account_id),
                    label=f"Log a meeting with {name}",
                ),
            )
        )
    more = len(c.replacement_accounts) - len(shown)
    if more > 0:
        blocks.append(context(f"…and {more} more"))
    return blocks


def _footer(c: Coaching) -> Block:
    parts = [f"{user_text(c.account_name, _NAME_LIMIT)} · {user_text(c.deal_name, _NAME_LIMIT)}"]
    parts.append(f"Ask graded: {escape(c.grade.graded.label)}")
    return context(*parts)


def coaching_message(c: Coaching, meeting_id: int | None = None) -> tuple[str, list[Block]]:
    """(notification fallback text, Block Kit blocks) for the coaching DM; ``meeting_id`` adds Edit / Withdraw."""
    blocks: list[Block] = [header(c.headline), section(_lines(c.lines))]
    blocks += _ask_blocks(c)
    if c.outcome is Outcome.BOOKED:
        blocks += _booked_blocks(c)
    elif c.outcome in (Outcome.UNSCHEDULED, Outcome.HESITANT):
        blocks += _booked_it_blocks(c)
    elif c.outcome is Outcome.DECLINED:
        blocks += _replacement_blocks(c)
    if meeting_id is not None:
        blocks.append(edit_meeting_buttons(meeting_id))
    blocks.append(_footer(c))
    if len(blocks) > MAX_BLOCKS:  # cannot happen with today's layout; keep the footer if it ever does
        blocks = blocks[: MAX_BLOCKS - 1] + [blocks[-1]]

    detail = c.when_text if c.outcome is Outcome.BOOKED and c.when_text else (c.lines[0] if c.lines else "")
    # The lock screen says what this is (coaching on the meeting just logged), then the gist.
    about = f"Coaching on your {c.account_name} meeting" if c.account_name else "Coaching on your meeting"
    fallback = fit(f"{escape(about)}. {escape(c.headline)}: {escape(detail)}", _FALLBACK_LIMIT)
    return fallback, blocks
