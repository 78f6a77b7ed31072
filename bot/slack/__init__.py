"""Everything that knows Slack's shapes: ids, view-state readers, payload checks, Block Kit builders
(blocks/), the outbox (paced delivery), tokens, the leaderboard chart.

Imports the domain (and bot.config) only; the exceptions still standing are listed with their
reasons in pyproject.toml. Used by handlers, the clock and runtime.
"""
