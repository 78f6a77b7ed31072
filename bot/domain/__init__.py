"""The domain: pure rules of the method. Values and `now` in, values out.

May import the standard library and bot.vocabulary only: no SQLAlchemy, no Slack, no models,
no services.
"""
