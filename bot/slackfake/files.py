"""Slack's v2 upload: files.getUploadURLExternal, the bytes POSTed to that URL, then
files.completeUploadExternal, which shares the file in a channel."""

from __future__ import annotations

import copy
import json
from typing import Any

from bot.slackfake.chat import ChatMixin
from bot.slackfake.records import (
    FakeSlackError,
    Token,
)


class FilesMixin(ChatMixin):
    """Uploads, kept with their bytes so a test can read what was shared."""

    def files(self, team_id: str | None = None) -> list[dict[str, Any]]:
        """Every completed upload: id, filename, title, content (bytes), channel, thread_ts, initial_comment."""
        with self._lock:
            return [
                copy.deepcopy(u)
                for u in self._uploads.values()
                if u["completed"] and (team_id is None or u["team_id"] == team_id)
            ]

    def _files_get_upload_url(self, auth: Token, params: dict[str, Any]) -> dict[str, Any]:
        filename = str(params.get("filename") or "")
        try:
            length = int(params.get("length") or 0)
        except (TypeError, ValueError):
            length = 0
        if not filename:
            raise FakeSlackError("invalid_arguments")
        if length <= 0:
            raise FakeSlackError(
                "invalid_arguments", response_metadata={"messages": ["[ERROR] length must be > 0"]}
            )
        file_id = self._new_id("F")
        self._uploads[file_id] = {
            "id": file_id,
            "team_id": auth.team_id,
            "filename": filename,
            "length": length,
            "alt_txt": params.get("alt_txt"),
            "content": None,
            "completed": False,
        }
        return {"upload_url": f"{self.base_url}upload/{file_id}", "file_id": file_id}

    def _receive_upload(self, file_id: str, raw: bytes) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            upload = self._uploads.get(file_id)
            if upload is None or upload["completed"]:
                return 404, {"Content-Type": "text/plain"}, b"not found"
            upload["content"] = raw
        return 200, {"Content-Type": "text/plain"}, f"OK - {len(raw)}".encode()

    def _files_complete_upload(self, auth: Token, params: dict[str, Any]) -> dict[str, Any]:
        files = params.get("files")
        if isinstance(files, str):
            try:
                files = json.loads(files)
            except ValueError:
                raise FakeSlackError("invalid_arguments") from None
        if not isinstance(files, list) or not files:
            raise FakeSlackError("invalid_arguments")
        uploads = []
        for entry in files:
            upload = self._uploads.get(str((entry or {}).get("id")))
            if upload is None or upload["team_id"] != auth.team_id or upload["completed"]:
                raise FakeSlackError("file_not_found")
            if upload["content"] is None or len(upload["content"]) != upload["length"]:
                raise FakeSlackError("file_upload_size_mismatch" if upload["content"] else "file_not_found")
            uploads.append((upload, entry.get("title") or upload["filename"]))
        channel_id = params.get("channel_id")
        channel = self._postable(auth.team_id, channel_id) if channel_id else None
        shared = []
        for upload, title in uploads:
            upload.update(
                completed=True,
                title=title,
                channel=channel.id if channel else None,
                thread_ts=params.get("thread_ts"),
                initial_comment=params.get("initial_comment"),
            )
            shared.append({"id": upload["id"], "title": title, "name": upload["filename"]})
        if channel is not None:
            self._store_message(
                auth.team_id,
                channel.id,
                params.get("initial_comment") or "",
                None,
                params.get("thread_ts"),
                {"files": shared},
            )
        return {"files": shared}
