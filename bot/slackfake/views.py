"""Modals and the Home tab: views.open, views.push, views.update and views.publish, trigger ids,
and what Slack's client does to a view when a person types, submits or closes it."""

from __future__ import annotations

import copy
import secrets
from typing import Any

from bot.slackfake.base import FakeBase
from bot.slackfake.limits import check_view
from bot.slackfake.records import (
    FakeSlackError,
    Token,
    Trigger,
    View,
    truthy,
)
from bot.slackfake.state import initial_values, merge_values

# Slack's documented lifetime of a trigger_id.
TRIGGER_LIFETIME = 3.0
# Slack keeps at most three modals in a stack.
MAX_MODAL_STACK = 3


class ViewsMixin(FakeBase):
    """Modal stacks, Home tabs and the trigger ids that open them."""

    def issue_trigger(self, team_id: str, user_id: str) -> str:
        """A fresh trigger_id, as Slack puts in a slash command or an interaction."""
        with self._lock:
            n = next(self._ids)
            trigger_id = f"{n}.{secrets.randbelow(10**12)}.{secrets.token_hex(16)}"
            self._triggers[trigger_id] = Trigger(trigger_id, team_id, user_id, self.clock())
            return trigger_id

    def open_views(self, team_id: str, user_id: str) -> list[dict[str, Any]]:
        """The person's modal stack, the top (visible) modal last."""
        with self._lock:
            return [copy.deepcopy(self._views[v].body) for v in self._stacks.get((team_id, user_id), [])]

    def home(self, team_id: str, user_id: str) -> dict[str, Any] | None:
        """The person's App Home tab as last published, or None."""
        with self._lock:
            view_id = self._homes.get((team_id, user_id))
            return copy.deepcopy(self._views[view_id].body) if view_id else None

    def view(self, view_id: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._views.get(view_id)
            return copy.deepcopy(found.body) if found else None

    def set_state_value(self, view_id: str, block_id: str, action_id: str, entry: dict[str, Any]) -> None:
        """Record what the person entered in one element of an open view."""
        with self._lock:
            view = self._views[view_id]
            view.body["state"]["values"].setdefault(block_id, {})[action_id] = copy.deepcopy(entry)

    def close_view(
        self, team_id: str, user_id: str, *, view_id: str | None = None, all_views: bool = False
    ) -> None:
        """Close the top modal, or the given one, or the whole stack."""
        with self._lock:
            stack = self._stacks.get((team_id, user_id), [])
            if all_views:
                closing = list(stack)
            elif view_id is not None:
                closing = [view_id] if view_id in stack else []
            else:
                closing = stack[-1:]
            for view_id in closing:
                self._views[view_id].closed = True
                stack.remove(view_id)

    def replace_top_view(self, team_id: str, user_id: str, spec: dict[str, Any]) -> dict[str, Any]:
        """A view_submission answered ``response_action: update``."""
        with self._lock:
            stack = self._stacks.get((team_id, user_id)) or []
            if not stack:
                raise FakeSlackError("not_found")
            self._check_view(spec, home=False)
            return copy.deepcopy(self._replace_view(self._views[stack[-1]], spec))

    def push_view(self, team_id: str, user_id: str, spec: dict[str, Any]) -> dict[str, Any]:
        """A view_submission answered ``response_action: push``."""
        with self._lock:
            self._check_view(spec, home=False)
            return copy.deepcopy(self._push(team_id, user_id, spec))

    def _check_view(self, spec: Any, *, home: bool) -> None:
        problems = check_view(spec, home=home)
        if problems:
            raise FakeSlackError("invalid_arguments", response_metadata={"messages": problems})

    def _build_view(self, view: View, spec: dict[str, Any], old_values: dict[str, Any] | None) -> None:
        """(Re)build a view's body from the app's spec; what the person entered survives a rebuild."""
        ws = self._workspaces[view.team_id]
        blocks = self._assign_ids(spec.get("blocks") or [])
        values = initial_values(blocks) if old_values is None else merge_values(old_values, blocks)
        body = {
            "id": view.id,
            "team_id": view.team_id,
            "type": spec["type"],
            "blocks": blocks,
            "private_metadata": spec.get("private_metadata") or "",
            "callback_id": spec.get("callback_id") or "",
            "state": {"values": values},
            "hash": self._new_hash(),
            "title": copy.deepcopy(spec.get("title")),
            "clear_on_close": truthy(spec.get("clear_on_close", False)),
            "notify_on_close": truthy(spec.get("notify_on_close", False)),
            "close": copy.deepcopy(spec.get("close")),
            "submit": copy.deepcopy(spec.get("submit")),
            "previous_view_id": view.body.get("previous_view_id"),
            "root_view_id": view.body.get("root_view_id") or view.id,
            "app_id": self.app_id,
            "external_id": spec.get("external_id") or view.body.get("external_id") or "",
            "app_installed_team_id": view.team_id,
            "bot_id": ws.bot_id,
        }
        view.body = body

    def _create_view(
        self, team_id: str, user_id: str, spec: dict[str, Any], root: str | None, previous: str | None
    ) -> View:
        external_id = spec.get("external_id")
        if external_id and any(
            v.team_id == team_id and v.body.get("external_id") == external_id for v in self._views.values()
        ):
            raise FakeSlackError("duplicate_external_id")
        view = View(self._new_id("V"), team_id, user_id, {"root_view_id": root, "previous_view_id": previous})
        self._build_view(view, spec, None)
        self._views[view.id] = view
        return view

    def _replace_view(self, view: View, spec: dict[str, Any]) -> dict[str, Any]:
        self._build_view(view, spec, view.body["state"]["values"])
        return view.body

    def _push(self, team_id: str, user_id: str, spec: dict[str, Any]) -> dict[str, Any]:
        stack = self._stacks.get((team_id, user_id)) or []
        if not stack:
            raise FakeSlackError("not_found")
        if len(stack) >= MAX_MODAL_STACK:
            raise FakeSlackError("push_limit_reached")
        view = self._create_view(team_id, user_id, spec, root=stack[0], previous=stack[-1])
        stack.append(view.id)
        return view.body

    def _use_trigger(self, team_id: str, trigger_id: Any, spec: Any) -> Trigger:
        trigger = self._triggers.get(trigger_id) if isinstance(trigger_id, str) else None
        if trigger is None or trigger.team_id != team_id:
            raise FakeSlackError("invalid_trigger_id")
        if trigger.used:
            raise FakeSlackError("exchanged_trigger_id")
        if self.clock() - trigger.issued_at > TRIGGER_LIFETIME:
            raise FakeSlackError("expired_trigger_id")
        self._check_view(spec, home=False)
        trigger.used = True
        return trigger

    def _views_open(self, auth: Token, params: dict[str, Any]) -> dict[str, Any]:
        trigger = self._use_trigger(auth.team_id, params.get("trigger_id"), params.get("view"))
        # A new modal from outside any modal replaces whatever stack was open.
        self.close_view(auth.team_id, trigger.user_id, all_views=True)
        view = self._create_view(auth.team_id, trigger.user_id, params["view"], root=None, previous=None)
        self._stacks[(auth.team_id, trigger.user_id)] = [view.id]
        return {"view": copy.deepcopy(view.body)}

    def _views_push(self, auth: Token, params: dict[str, Any]) -> dict[str, Any]:
        trigger = self._use_trigger(auth.team_id, params.get("trigger_id"), params.get("view"))
        return {"view": copy.deepcopy(self._push(auth.team_id, trigger.user_id, params["view"]))}

    def _views_update(self, auth: Token, params: dict[str, Any]) -> dict[str, Any]:
        view_id, external_id = params.get("view_id"), params.get("external_id")
        if not view_id and not external_id:
            raise FakeSlackError(
                "invalid_arguments", response_metadata={"messages": ["view_id or external_id required"]}
            )
        found = None
        for candidate in self._views.values():
            if candidate.team_id != auth.team_id or candidate.closed:
                continue
            if (view_id and candidate.id == view_id) or (
                not view_id and external_id and candidate.body.get("external_id") == external_id
            ):
                found = candidate
                break
        if found is None:
            raise FakeSlackError("not_found")
        wanted_hash = params.get("hash")
        if wanted_hash and wanted_hash != found.body["hash"]:
            raise FakeSlackError("hash_conflict")
        self._check_view(params.get("view"), home=found.body["type"] == "home")
        return {"view": copy.deepcopy(self._replace_view(found, params["view"]))}

    def _views_publish(self, auth: Token, params: dict[str, Any]) -> dict[str, Any]:
        user = self._users.get((auth.team_id, params.get("user_id") or ""))
        if user is None:
            raise FakeSlackError("user_not_found")
        self._check_view(params.get("view"), home=True)
        view_id = self._homes.get((auth.team_id, user.id))
        if view_id is None:
            view = self._create_view(auth.team_id, user.id, params["view"], root=None, previous=None)
            self._homes[(auth.team_id, user.id)] = view.id
            return {"view": copy.deepcopy(view.body)}
        existing = self._views[view_id]
        wanted_hash = params.get("hash")
        if wanted_hash and wanted_hash != existing.body["hash"]:
            raise FakeSlackError("hash_conflict")
        return {"view": copy.deepcopy(self._replace_view(existing, params["view"]))}
