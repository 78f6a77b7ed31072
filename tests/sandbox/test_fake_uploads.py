"""The sandbox's v2 file upload, through slack_sdk's own files_upload_v2."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slackfake.fake import FakeSlack


@pytest.fixture
def fake():
    with FakeSlack() as fake:
        fake.add_workspace(team_id="T1", name="Acme", bot_token="xoxb-T1", bot_user_id="UBOT")
        fake.add_channel("T1", "C1", "sales")
        fake.add_user("T1", "U1", "maria")
        yield fake


def test_upload_lands_in_the_channel_thread_with_its_bytes(fake):
    client = WebClient(base_url=fake.api_url, token="xoxb-T1")
    posted = client.chat_postMessage(channel="C1", text="Leaderboard")
    client.files_upload_v2(
        channel="C1",
        thread_ts=posted["ts"],
        content=b"\x89PNG fake",
        filename="chart.png",
        title="Booked rate, last 8 weeks",
        initial_comment="The trend",
    )
    (upload,) = fake.files("T1")
    assert upload["content"] == b"\x89PNG fake" and upload["filename"] == "chart.png"
    assert (upload["channel"], upload["thread_ts"]) == ("C1", posted["ts"])
    assert [c.method for c in fake.calls][-2:] == [
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]


def test_upload_to_a_dm_by_user_id(fake):
    client = WebClient(base_url=fake.api_url, token="xoxb-T1")
    client.files_upload_v2(
        channel=fake.dm_channel_id("T1", "U1"), content="a,b\n1,2\n", filename="export.csv"
    )
    assert fake.files("T1")[0]["content"] == b"a,b\n1,2\n"


def test_completing_an_unknown_file_fails_like_slack(fake):
    client = WebClient(base_url=fake.api_url, token="xoxb-T1")
    with pytest.raises(SlackApiError) as caught:
        client.files_completeUploadExternal(files=[{"id": "FNOPE"}], channel_id="C1")
    assert caught.value.response["error"] == "file_not_found"
