"""The Bolt shell: one package per Slack surface, one file per feature, each with register(app).

- app.py: create_app (the Bolt app, OAuth, the Deps middleware) wires the surfaces in order:
  events/, commands/, options/, actions/, views/ (views/ registers its catch-all last).
- deps.py: Deps, what every listener needs, injected into Bolt's context.
- guard.py: acks within Slack's 3 s and turns user-facing errors into modal errors or replies.
- meeting_flow.py, the /meeting modal and coaching DM steps that several surfaces share.
- deal_access.py: who may see a deal, and its history modal (the History button, `/nextsteps deal`).
- clicks.py: a clicked button's value, and a private answer where the click happened.
- web.py: the WSGI routes around Bolt (/healthz, malformed-payload answers).

Handlers turn payloads into plain values (readers in bot.slack), call bot.services, render with
bot.slack.blocks. They may import bot.services, bot.domain, bot.slack, bot.config and models;
never bot.clock or bot.runtime (import-linter, pyproject.toml).
"""
