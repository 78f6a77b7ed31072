"""What Heroku reads at the root: the buildpack finds the app, the Button knows its settings and dynos."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[2]
APP = json.loads((ROOT / "app.json").read_text())
README = (ROOT / "README.md").read_text()


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().strip().splitlines()
    return dict(line.split(": ", 1) for line in lines)


def test_requirements_txt_installs_the_project_so_pyproject_stays_the_one_list():
    assert (ROOT / "requirements.txt").read_text().split() == ["."]


def test_the_python_version_is_pinned_within_what_the_project_supports():
    version = (ROOT / ".python-version").read_text().strip()
    assert re.fullmatch(r"3\.\d+", version)
    minimum = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert minimum == ">=3.11" and int(version.split(".")[1]) >= 11


def test_the_procfile_runs_the_checked_commands():
    assert procfile() == {
        "web": "nextstep serve",
        "release": "nextstep db upgrade && nextstep regrade",
        "clock": "nextstep clock",
    }


def test_app_json_brings_postgresql_and_one_web_and_one_clock():
    assert [a["plan"].split(":")[0] for a in APP["addons"]] == ["heroku-postgresql"]
    assert {name: dyno["quantity"] for name, dyno in APP["formation"].items()} == {"web": 1, "clock": 1}
    assert set(APP["formation"]) <= set(procfile())


def test_app_json_describes_every_setting_the_app_reads_and_no_other():
    config = (ROOT / "bot" / "config.py").read_text()
    env = APP["env"]
    assert all(entry["description"].strip() for entry in env.values())
    assert env["SLACK_SIGNING_SECRET"]["required"] is True
    for name in env:
        assert f'"{name}"' in config, f"{name} is not read by bot/config.py"
    # Heroku sets DATABASE_URL (the add-on) and PORT itself.
    assert "DATABASE_URL" not in env and "PORT" not in env


def test_the_readme_gives_the_deploy_steps_in_the_order_they_work():
    steps = [
        "From an app\n   manifest",
        "heroku create",
        "git push heroku",
        "/slack/events",
        "heroku config:set SLACK_SIGNING_SECRET",
        "heroku ps:scale web=1 clock=1",
        "nextstep check",
    ]
    deploy = README[README.index("## Deploy to Heroku") :]
    positions = [deploy.find(step) for step in steps]
    assert -1 not in positions, dict(zip(steps, positions, strict=True))
    assert positions == sorted(positions)


def test_the_socket_mode_section_runs_the_clock_beside_the_app():
    socket_mode = README[README.index("**For development without a public URL**") :]
    socket_mode = socket_mode[: socket_mode.index("\n\n")]
    assert "python app.py" in socket_mode and "nextstep clock" in socket_mode
