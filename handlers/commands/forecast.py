"""`/nextsteps forecast [team] [charts]`: a rep's own deals, a manager's team by rep, any team for an
admin; `charts` sends the calibration chart and the expected-value trend to the asker's DM."""

from __future__ import annotations

import logging

from slack_bolt import Ack
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.services.outlook import NO_DEALS_YET, TEAM_REFUSED, forecast_charts, forecast_for
from bot.slack.blocks.forecast import forecast_message
from bot.slack.outlook_chart import calibration_alt_text, calibration_png, trend_alt_text, trend_png
from bot.slack.uploads import upload
from handlers.deal_access import is_admin
from handlers.deps import Deps

log = logging.getLogger("nextstep")


def forecast_command(ack: Ack, body: dict, client: WebClient, context: dict, words: list[str]) -> None:
    deps: Deps = context["deps"]
    team_id, user_id = context["team_id"], body["user_id"]
    charts = bool(words) and words[-1].lower() == "charts"
    team_name = " ".join(words[:-1] if charts else words)
    now = deps.clock()
    answer = forecast_for(
        deps.session_factory,
        team_id,
        user_id,
        team_name,
        now,
        lambda: is_admin(client, deps, team_id, user_id),
    )
    if answer is None:
        log.info("forecast refused or empty team=%s request=%s", team_id, context.get("request_id"))
        ack(text=TEAM_REFUSED if team_name.strip() else NO_DEALS_YET)
        return
    text, blocks = forecast_message(answer.outlook, now, by_rep=answer.scope.by_rep)
    ack(text=text, blocks=blocks)
    if not charts:
        return
    figures = forecast_charts(deps.session_factory, team_id, answer.scope, now)
    title = "Your deals" if not answer.scope.by_rep else answer.scope.title
    try:
        posted = client.chat_postMessage(channel=user_id, text=f"Forecast charts: {title}")
        for png, alt, name in (
            (
                calibration_png(figures.calibration, f"Chance shown vs deals won: {title}"),
                calibration_alt_text(figures.calibration),
                "forecast-calibration.png",
            ),
            (
                trend_png(figures.trend, f"Expected value, last 12 weeks: {title}"),
                trend_alt_text(figures.trend),
                "forecast-expected-value.png",
            ),
        ):
            upload(client, channel=posted["channel"], content=png, filename=name, title=name, alt_text=alt)
    except SlackApiError as error:
        log.warning("forecast charts not sent team=%s: %s", team_id, error.response.get("error"))
