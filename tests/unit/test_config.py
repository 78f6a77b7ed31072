from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, LogSettings, load_config, load_log_settings

BASE = {"SLACK_SIGNING_SECRET": "s3cret", "SLACK_BOT_TOKEN": "xoxb-1"}


def problems(env: dict[str, str]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(env)
    return caught.value.problems


def test_single_workspace_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = load_config(BASE)
    assert not config.multi_workspace
    assert config.port == 3000
    assert config.slack_api_url == "https://slack.com/api/"
    assert config.database_url == f"sqlite:///{tmp_path}/nextstep.sqlite"


def test_heroku_postgres_url_is_accepted_and_uses_psycopg():
    config = load_config({**BASE, "DATABASE_URL": "postgres://u:pw@db.example:5432/app"})
    assert config.database_url == "postgresql+psycopg://u:pw@db.example:5432/app"
    assert "pw" not in str(config.redacted())


def test_sqlite_is_refused_on_heroku():
    (line,) = problems({**BASE, "DYNO": "web.1"})
    assert line.startswith("DATABASE_URL:") and "DYNO" in line


def test_each_problem_is_one_line_naming_the_setting():
    lines = problems(
        {"SLACK_BOT_TOKEN": "abc", "PORT": "eighty", "SLACK_API_URL": "nope", "SLACK_CLIENT_ID": "1"}
    )
    names = [line.split(":")[0] for line in lines]
    assert names == [
        "SLACK_SIGNING_SECRET",
        "SLACK_BOT_TOKEN",
        "SLACK_CLIENT_SECRET",
        "SLACK_API_URL",
        "PORT",
    ]
    assert all("\n" not in line for line in lines)


def test_oauth_mode_needs_no_bot_token():
    config = load_config({"SLACK_SIGNING_SECRET": "s", "SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "x"})
    assert config.multi_workspace and config.bot_token is None


def test_missing_everything_names_the_token_and_secret():
    names = [line.split(":")[0] for line in problems({})]
    assert names == ["SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN"]


def test_socket_mode_needs_the_bot_token():
    lines = problems({"SLACK_SIGNING_SECRET": "s", "SLACK_APP_TOKEN": "xapp-1"})
    assert any(line.startswith("SLACK_APP_TOKEN:") for line in lines)


def test_api_url_gets_its_trailing_slash():
    assert (
        load_config({**BASE, "SLACK_API_URL": "http://127.0.0.1:9/api"}).slack_api_url
        == "http://127.0.0.1:9/api/"
    )


def test_unsupported_database_is_named():
    (line,) = problems({**BASE, "DATABASE_URL": "mysql://x"})
    assert line.startswith("DATABASE_URL:") and "mysql" in line


def test_nextstep_admins_is_optional_and_read_as_member_ids():
    assert load_config(BASE).admins == frozenset()
    config = load_config({**BASE, "NEXTSTEP_ADMINS": " U024BE7LH, W0G9QF9C6 ,"})
    assert config.admins == {"U024BE7LH", "W0G9QF9C6"}


@pytest.mark.parametrize("raw", ["@ada", "u024be7lh", "U024BE7LH;U0G9QF9C6", "<@U024BE7LH>", ",", "U"])
def test_malformed_nextstep_admins_stop_start_up_with_one_line_naming_it(raw):
    (line,) = problems({**BASE, "NEXTSTEP_ADMINS": raw})
    assert line.startswith("NEXTSTEP_ADMINS: malformed ") and "\n" not in line
    assert "Slack member ids separated by commas" in line


def test_nextstep_admins_names_only_the_bad_ids():
    (line,) = problems({**BASE, "NEXTSTEP_ADMINS": "U024BE7LH,@sam,U0G9QF9C6"})
    assert line.startswith("NEXTSTEP_ADMINS: malformed '@sam';")


def test_nextstep_admins_belongs_to_single_workspace_mode():
    env = {"SLACK_SIGNING_SECRET": "s", "SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "x"}
    (line,) = problems({**env, "NEXTSTEP_ADMINS": "U024BE7LH"})
    assert line.startswith("NEXTSTEP_ADMINS: only for one workspace")


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        # A one-letter password must not eat the same letter elsewhere in the URL.
        ("postgres://u:p@db.example:5432/app", "postgresql+psycopg://u:***@db.example:5432/app"),
        ("postgres://app:app@app.example/app", "postgresql+psycopg://app:***@app.example/app"),
        ("postgres://u@db.example/app", "postgresql+psycopg://u@db.example/app"),
    ],
)
def test_the_logged_database_url_masks_only_the_password(raw, shown):
    assert load_config({**BASE, "DATABASE_URL": raw}).redacted()["database"] == shown


def test_gunicorn_settings_are_validated_with_the_others():
    config = load_config({**BASE, "WEB_CONCURRENCY": "3", "GUNICORN_THREADS": "4"})
    assert (config.web_concurrency, config.gunicorn_threads) == (3, 4)
    lines = problems({**BASE, "WEB_CONCURRENCY": "abc", "GUNICORN_THREADS": "-1"})
    assert [line.split(":")[0] for line in lines] == ["WEB_CONCURRENCY", "GUNICORN_THREADS"]


def test_log_settings_are_one_of_the_known_values():
    assert load_log_settings({"LOG_LEVEL": "debug", "LOG_FORMAT": "JSON"}) == LogSettings("DEBUG", "json")
    assert load_log_settings({}) == LogSettings("INFO", "text")
    with pytest.raises(ConfigError) as caught:
        load_log_settings({"LOG_LEVEL": "verbose"})
    assert caught.value.problems[0].startswith("LOG_LEVEL: malformed 'verbose'")


def test_no_project_code_reads_the_environment_outside_config():
    root = Path(__file__).parents[2]
    readers = [
        str(path.relative_to(root))
        for folder in ("bot", "handlers", "models", "migrations")
        for path in (root / folder).rglob("*.py")
        if "os.environ" in path.read_text() or "getenv(" in path.read_text()
    ] + (["app.py"] if "os.environ" in (root / "app.py").read_text() else [])
    assert readers == ["bot/config.py"]
