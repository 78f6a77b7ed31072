"""Sharing a file in Slack: the one upload path, for the weekly chart, the forecast charts and the export.

Slack's v2 flow: files.getUploadURLExternal (name, length, alt text) gives a URL; the bytes are
POSTed to it; files.completeUploadExternal shares the file in a channel (or a thread). slack_sdk's
``files_upload_v2`` reads the whole file into memory first; here the body is streamed from the
file (or the bytes), http.client reading and sending it a block at a time, so a large export
costs no more memory than a chart. The upload URL is whatever Slack (or the loopback fake,
through SLACK_API_URL) hands back.
"""

from __future__ import annotations

import io
import os
import urllib.request
from typing import BinaryIO

from slack_sdk import WebClient
from slack_sdk.errors import SlackRequestError


def _post(client: WebClient, url: str, data: BinaryIO, length: int, timeout: float) -> None:
    """The bytes to the upload URL, streamed, through the client's proxy and TLS settings."""
    request = urllib.request.Request(
        url,
        data=data,  # a file object: http.client sends it in blocks, never reading it whole
        headers={"Content-Length": str(length), "Content-Type": "application/octet-stream"},
        method="POST",
    )
    handlers: list[urllib.request.BaseHandler] = [urllib.request.HTTPSHandler(context=client.ssl)]
    if client.proxy:
        handlers.append(urllib.request.ProxyHandler({"http": client.proxy, "https": client.proxy}))
    with urllib.request.build_opener(*handlers).open(request, timeout=timeout) as answer:
        answer.read()
        if answer.status != 200:
            raise SlackRequestError(f"Failed to upload a file (status: {answer.status})")


def upload(
    client: WebClient,
    *,
    channel: str,
    filename: str,
    content: bytes | None = None,
    path: str | None = None,
    title: str | None = None,
    thread_ts: str | None = None,
    alt_text: str | None = None,
    timeout: float | None = None,
) -> str:
    """Share ``content`` (bytes) or the file at ``path`` in ``channel`` (in a thread with ``thread_ts``);
    returns the file's id. Slack's refusals raise SlackApiError; a failed POST what urllib raises."""
    if (content is None) == (path is None):
        raise ValueError("upload() takes content or path, one of them")
    length = len(content) if content is not None else os.path.getsize(str(path))
    ticket = client.files_getUploadURLExternal(filename=filename, length=length, alt_txt=alt_text)
    with io.BytesIO(content) if content is not None else open(str(path), "rb") as data:
        _post(client, str(ticket["upload_url"]), data, length, timeout or client.timeout)
    file_id = str(ticket["file_id"])
    client.files_completeUploadExternal(
        files=[{"id": file_id, "title": title or filename}], channel_id=channel, thread_ts=thread_ts
    )
    return file_id
