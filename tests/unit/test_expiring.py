"""The small store of request names kept for a while (completions/tasks.py)."""

from __future__ import annotations

import time

from jupyter_chat_ext.completions.tasks import Expiring


def test_a_value_is_kept_for_its_time_and_taken_once():
    names = Expiring(ttl=0.2)
    names.put("a", "m-1")
    assert names.get("a") == "m-1" and names.pop("a") == "m-1" and names.pop("a") is None
    names.put("b")
    time.sleep(0.25)
    assert names.get("b") is None


def test_the_oldest_go_first_beyond_the_limit():
    names = Expiring(limit=3)
    for key in "abcd":
        names.put(key)
    assert [names.get(k) for k in "abcd"] == [None, True, True, True]
