"""One function per thing a person or the clock does, over the store: takes a session (or factory)
and `now`, returns plain values or raises the domain's errors.

May import the domain, models and bot.config. Not bot.slack, the clock, handlers or runtime; the
exceptions still standing (form field ids, view-state readers, two builders) are listed with
their reasons in pyproject.toml.
"""
