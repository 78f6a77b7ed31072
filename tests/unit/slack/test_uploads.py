"""The one upload path (bot.slack.uploads): bytes or a file, streamed to the URL the API hands back."""

from __future__ import annotations

import os

import pytest
from slack_sdk import WebClient

from bot.slack.uploads import upload
from bot.slackfake.fake import FakeSlack


@pytest.fixture
def fake():
    with FakeSlack() as fake:
        fake.add_workspace(team_id="T1", name="Acme", bot_token="xoxb-T1", bot_user_id="UBOT")
        fake.add_channel("T1", "C1", "sales")
        fake.add_user("T1", "U1", "maria")
        yield fake


def test_bytes_land_in_the_thread_with_title_and_alt_text(fake):
    client = WebClient(base_url=fake.api_url, token="xoxb-T1")
    posted = client.chat_postMessage(channel="C1", text="Leaderboard")
    file_id = upload(
        client,
        channel="C1",
        thread_ts=posted["ts"],
        content=b"\x89PNG fake",
        filename="chart.png",
        title="Booked rate, last 8 weeks",
        alt_text="A line chart",
    )
    (shared,) = fake.files("T1")
    assert shared["id"] == file_id
    assert (shared["content"], shared["filename"], shared["title"]) == (
        b"\x89PNG fake",
        "chart.png",
        "Booked rate, last 8 weeks",
    )
    assert (shared["channel"], shared["thread_ts"], shared["alt_txt"]) == ("C1", posted["ts"], "A line chart")
    assert [c.method for c in fake.calls][-2:] == [
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]


def test_a_file_on_disk_arrives_whole_titled_by_its_name(fake, tmp_path):
    path = tmp_path / "export.csv"
    body = b"held_at,rep\n" + b"2026-11-24,maria\n" * 100_000  # ~1.7 MB: many blocks
    path.write_bytes(body)
    client = WebClient(base_url=fake.api_url, token="xoxb-T1")
    dm = fake.dm_channel_id("T1", "U1")
    upload(client, channel=dm, path=str(path), filename="nextstep-mine.csv")
    (shared,) = fake.files("T1")
    assert shared["content"] == body and shared["title"] == "nextstep-mine.csv"
    assert shared["channel"] == dm and shared["thread_ts"] is None
    assert os.path.exists(path)  # the caller owns the file


def test_content_or_path_one_of_them(fake, tmp_path):
    client = WebClient(base_url=fake.api_url, token="xoxb-T1")
    with pytest.raises(ValueError):
        upload(client, channel="C1", filename="x.csv")
    with pytest.raises(ValueError):
        upload(client, channel="C1", filename="x.csv", content=b"a", path=str(tmp_path / "x.csv"))
    assert fake.files("T1") == []


def test_a_file_is_sent_a_block_at_a_time_never_read_whole(fake, tmp_path, monkeypatch):
    from bot.slack import uploads

    path = tmp_path / "big.csv"
    path.write_bytes(b"x" * 1_000_000)
    reads: list[int] = []

    class Spy:
        def __init__(self, raw):
            self._raw = raw

        def read(self, size=-1):
            chunk = self._raw.read(size)
            reads.append(len(chunk))
            return chunk

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self._raw.close()

    monkeypatch.setattr(uploads, "open", lambda p, mode: Spy(open(p, mode)), raising=False)  # noqa: SIM115
    upload(
        WebClient(base_url=fake.api_url, token="xoxb-T1"), channel="C1", path=str(path), filename="big.csv"
    )
    assert fake.files("T1")[0]["content"] == b"x" * 1_000_000
    assert sum(reads) == 1_000_000 and max(reads) <= 64 * 1024
