"""Requests are logged as Jupyter logs them wherever the log shows them."""

from __future__ import annotations

import logging


async def test_successes_are_logged_at_debug_where_debug_is_shown(api, caplog):
    caplog.set_level(logging.DEBUG)
    assert (await api("GET", "users/me")).status == 200
    assert (await api.as_(None)("GET", "users/me")).status == 403
    lines = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert any(
        level == logging.DEBUG and message.startswith("200 GET /a%40b/chat-ext/api/users/me")
        for level, message in lines
    ), lines
    assert any(
        level == logging.WARNING and message.startswith("403 GET /a%40b/chat-ext/api/users/me")
        for level, message in lines
    ), lines
