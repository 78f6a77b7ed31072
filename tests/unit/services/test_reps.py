"""A person's first two requests at once (a command while the Home tab opens) both find one rep."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import func, select

from bot.services.reps import ensure_rep, ensure_workspace
from models import Rep, Workspace, make_session_factory

NOW = datetime(2026, 11, 24, 9, tzinfo=UTC)


def test_two_first_requests_at_once_share_one_rep_and_one_workspace(engine):
    sessions = make_session_factory(engine)
    first = sessions()
    ensure_workspace(first, "T1", NOW)
    mine = ensure_rep(first, "T1", "U1", NOW, "Maria")  # inserted, not yet committed
    found: list[tuple[int, str]] = []
    failed: list[BaseException] = []

    def second_request() -> None:
        try:
            with sessions() as session:
                ensure_workspace(session, "T1", NOW)
                rep = ensure_rep(session, "T1", "U1", NOW)
                session.commit()
                found.append((rep.id, rep.display_name))
        except BaseException as error:  # noqa: BLE001 - reported below
            failed.append(error)

    other = threading.Thread(target=second_request)
    other.start()
    other.join(timeout=0.5)  # it waits on the first request's insert
    first.commit()
    other.join(timeout=30)
    first.close()
    assert failed == []
    assert found == [(mine.id, "Maria")]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Rep)) == 1
        assert session.scalar(select(func.count()).select_from(Workspace)) == 1


def test_the_first_profile_makes_nobody_an_admin_and_the_first_admin_gives_the_timezone(session):
    from bot.services.permissions import Admins
    from bot.services.reps import SlackProfile, apply_profile

    apply_profile(session, "T1", SlackProfile("U1", "Maria", "Europe/Berlin"), NOW)
    workspace = session.get(Workspace, "T1")
    assert (workspace.installer_user_id, workspace.timezone, workspace.timezone_chosen_by) == (
        None,
        "UTC",
        None,
    )
    assert not Admins().include(SlackProfile("U1", "Maria", "Europe/Berlin"), workspace)

    named = Admins(listed=frozenset({"U2"}))
    apply_profile(session, "T1", SlackProfile("U2", "Sam", "America/Los_Angeles"), NOW, named)
    ada = apply_profile(session, "T1", SlackProfile("U3", "Ada", "Europe/Paris", is_admin=True), NOW, named)
    assert (workspace.timezone, workspace.timezone_chosen_by) == ("America/Los_Angeles", "U2")
    assert ada.slack_admin and workspace.installer_user_id is None
