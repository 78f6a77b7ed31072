"""Pure rules: values and `now` in, values out (vocabulary, errors, worktime, coaching, the ask
grader, nudges, pipeline).

Imports only the standard library and other domain modules: no SQLAlchemy, no Slack library,
no models, no services (import-linter, pyproject.toml).
"""
