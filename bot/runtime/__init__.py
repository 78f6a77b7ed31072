"""Composition only: the `nextstep` CLI, the HTTP server, the migrations runner, the demo's wiring.

The top layer: may import anything in the app; nothing imports it (app.py and the console
script excepted).
"""
