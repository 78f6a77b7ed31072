"""Slack's refusals met while answering a request: logged once by meaning, a dead token marks the workspace."""

from __future__ import annotations

import logging

from bot.services.workspaces import mark_token_refused
from bot.slack.refusals import Meaning, refusal_of
from handlers.deps import Deps

log = logging.getLogger("nextstep")


def handle_refusal(error: BaseException, deps: Deps | None, team_id: str | None, where: str) -> bool:
    """True when ``error`` is one of Slack's refusals, now logged and acted on; False otherwise.

    Nothing stored is touched except the workspace's "token refused" mark: what the person
    saved before the refusal stays saved.
    """
    refused = refusal_of(error)
    if refused is None:
        return False
    if refused.meaning is Meaning.DEAD_TOKEN and deps is not None and team_id:
        mark_token_refused(deps.session_factory, team_id, deps.clock())
    log.warning("%s team=%s: %s", where, team_id, refused.describe())  # once acted on
    return True
