"""The scheduler process: run (APScheduler), sweep (one sweep; plan and claim), deliver, departures, the
weekly leaderboards and digests.

May import services, models, the domain, bot.slack and bot.config; never handlers or runtime.
"""
