"""Block Kit builders: pure functions from domain values to Slack's dicts, one module per message
or modal. Same import rules as bot.slack.
"""
