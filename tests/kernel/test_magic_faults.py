"""%chat when things go wrong, in a real kernel against the real server: unknown models, a
model server down, interrupts and stops, a broken stream, connection problems, and a kernel
with no notebook."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx
import pytest

from .conftest import (
    BASE_PATH,
    BRISK_MODEL,
    DOWN_MODEL,
    MISSING_LOCAL_MODEL,
    MODEL,
    SLOW_MODEL,
    RunningServer,
    sent_for,
)
from .kernel_session import KernelSession, Run
from .magic_calls import (
    chat,
    chat_detail,
    interrupted_line,
    loaded_kernel,
    markdown,
    notebook_chat,
    one_line,
)
from .relay import Relay
from .slow_listing import slow_model_list

pytest.importorskip("ipykernel")
pytest.importorskip("jupyter_client")


def test_unknown_model_is_one_line(kernel, upstream):
    run = chat(kernel, "%chat -m no-such-model hello")
    line = one_line(run)
    assert "Unknown model 'no-such-model'" in line
    assert "%chat_models lists" in line, "says how to list the models from the notebook"
    assert "GET " not in line
    assert run.displays() == [], "nothing but the line"
    unstreamed = chat(kernel, "%chat --no-stream -m no-such-model hello")
    assert "%chat_models lists" in one_line(unstreamed)
    assert unstreamed.displays() == [], "nothing but the line"
    chat(kernel, f"%chat -m {MODEL} ok")
    assert one_line(chat(kernel, "%chat -m no-such-model hello")).startswith("%chat: Unknown")
    assert markdown(chat(kernel, "%chat still ok")) == "You said: still ok"
    assert sent_for(upstream, "still ok")["model"] == MODEL, "a model that failed does not stick"


def test_unknown_model_line_is_short_with_or_without_a_local_model_missing(kernel, api):
    plain = "%chat: Unknown model 'no-such-model'. %chat_models lists the models you can use"
    # The server's local model is not on this machine: the server's 404 says at length how to
    # download it, which the line leaves to %chat_models.
    line = one_line(chat(kernel, "%chat -m no-such-model hello"))
    assert line == f"{plain}, and says why a connection lists none now.", line
    local = [c for c in api.get("connections").json()["items"] if c["kind"] == "local"]
    assert any(c["base_url"] == MISSING_LOCAL_MODEL for c in local)
    try:
        for connection in local:
            api.patch(f"connections/{connection['id']}", json={"enabled": False})
        assert one_line(chat(kernel, "%chat -m no-such-model hello")) == f"{plain}."
    finally:
        for connection in local:
            api.patch(f"connections/{connection['id']}", json={"enabled": connection["enabled"]})


def test_upstream_down_is_one_line_and_the_chat_keeps_the_question(kernel, api):
    run = chat(kernel, f"%chat -m {DOWN_MODEL} are you there?")
    line = one_line(run)
    assert line.startswith("%chat: ") and "503" in line
    assert run.final() == {"text/plain": ""}, "the waiting mark is gone"
    messages = notebook_chat(api)["messages"]
    assert messages[-2]["content"] == "are you there?"
    assert messages[-1]["meta"]["status"] == "error"
    chat(kernel, f"%chat -m {MODEL} back to normal")


def _partial_shown(messages) -> bool:
    """Whether the cell has shown part of the answer yet."""
    return any(
        m["msg_type"] == "update_display_data"
        and m["content"]["data"].get("text/markdown", "").startswith("You said")
        for m in messages
    )


def test_interrupt_stops_the_answer_and_keeps_what_was_written(kernel, api):
    msg_id = kernel.start(f"%chat -m {SLOW_MODEL} take your time")

    messages = kernel.collect(msg_id, until=_partial_shown, timeout=30)
    kernel.interrupt()
    messages += kernel.collect(msg_id, timeout=30)
    reply = kernel.reply(msg_id)
    run = Run(reply, messages)
    line = interrupted_line(run)
    assert "interrupted" in line and "kept" in line
    shown = run.final()["text/markdown"]
    stored = notebook_chat(api)["messages"][-1]
    assert stored["meta"]["status"] == "stopped"
    assert stored["content"] == shown
    whole = "You said: take your time".ljust(200, ".")  # 200 one-character pieces
    assert whole.startswith(shown) and len(shown) >= len("You said")
    assert len(shown) < len(whole), "the answer was stopped before its end"
    assert api.get("chat/completions").json()["items"] == []


def test_an_interrupt_ends_a_loop_of_questions_and_err_stays_the_users_error(kernel, api, upstream):
    assert kernel.execute("1 / 0").status == "error"
    cell = f"for i in range(3):\n    %chat -m {SLOW_MODEL} loop {{i}}\nprint('after the loop')"
    msg_id = kernel.start(cell)
    messages = kernel.collect(msg_id, until=_partial_shown, timeout=30)
    kernel.interrupt()
    run = Run(kernel.reply(msg_id), messages + kernel.collect(msg_id, timeout=30))
    assert "interrupted" in interrupted_line(run)
    assert "after the loop" not in run.stdout
    assert not any("loop 1" in str(r.body) for r in upstream.requests), "one question only"
    assert api.get("chat/completions").json()["items"] == []
    answer = markdown(chat(kernel, f"%chat -m {MODEL} why {{Err}}"))
    assert "ZeroDivisionError" in answer and "interrupted" not in answer


def interrupted_after(kernel: KernelSession, code: str, seconds: float) -> Run:
    msg_id = kernel.start(code)
    time.sleep(seconds)
    kernel.interrupt()
    return Run(kernel.reply(msg_id), kernel.collect(msg_id, timeout=30))


def test_an_interrupt_while_the_model_is_looked_up_sends_nothing(server, upstream, api):
    # No -m: the cell asks for the model list, which the slow connection holds up.
    with slow_model_list(api), loaded_kernel(server, None) as bare:
        run = interrupted_after(bare, "%chat asked while the models are listed", 1.5)
        models = interrupted_after(bare, "%chat_models", 1.5)
    assert interrupted_line(run) == "%chat: interrupted before the question was sent."
    assert run.displays() == []
    found = api.get("chats", params={"q": "asked while the models"}).json()["items"]
    assert found == [], "nothing was asked"
    assert interrupted_line(models) == "%chat_models: interrupted."


def test_an_interrupt_before_the_server_has_begun_the_answer_still_stops_it(kernel, api):
    # The server looks up the model (5 s) before it stores the question and begins the answer:
    # the interrupt comes while it has nothing to stop yet.
    with slow_model_list(api, SLOW_MODEL, prefix="slow/"):
        run = interrupted_after(kernel, f"%chat -m slow/{SLOW_MODEL} caught early", 1.5)
        line = interrupted_line(run)
        assert "the answer was stopped" in line, line
        assert running_answers(api, until=lambda items: True) == [], "the answer goes on"
    assert [m["content"] for m in notebook_chat(api)["messages"]][-2] == "caught early"
    stored = notebook_chat(api)["messages"][-1]
    assert stored["meta"]["status"] == "stopped"
    assert len(stored["content"]) < 200, "stopped before its end"


def test_a_second_interrupt_while_the_question_is_sent_stops_its_answer_as_it_begins(kernel, api):
    # The first interrupt is held while the question is sent; the second is not, and the
    # cell ends with the server still looking up the model (5 s). The answer it then begins
    # is stopped at once, and only that one: not written to its end.
    with slow_model_list(api, SLOW_MODEL, prefix="slow/"):
        msg_id = kernel.start(f"%chat -m slow/{SLOW_MODEL} given up on")
        time.sleep(1.5)
        kernel.interrupt()
        time.sleep(0.3)
        kernel.interrupt()
        run = Run(kernel.reply(msg_id), kernel.collect(msg_id, timeout=30))
        assert interrupted_line(run) == "%chat: interrupted before the answer started."
        deadline = time.monotonic() + 20
        while True:
            question, answer = ([{}, {}] + notebook_chat(api)["messages"])[-2:]
            if question.get("content") == "given up on" and answer["meta"]["status"] != "streaming":
                break
            assert time.monotonic() < deadline, (question, answer)
            time.sleep(0.1)
    assert (answer["content"], answer["meta"]["status"]) == ("", "stopped")


def test_an_answer_stopped_elsewhere_says_so(kernel, api):
    msg_id = kernel.start(f"%chat -m {SLOW_MODEL} stop me from the panel")

    messages = kernel.collect(msg_id, until=_partial_shown, timeout=30)
    [running] = api.get("chat/completions").json()["items"]
    assert api.post(f"chat/completions/{running['message_id']}/stop").status_code == 200
    run = Run(kernel.reply(msg_id), messages + kernel.collect(msg_id, timeout=30))
    line = one_line(run)
    assert "stopped" in line and "kept" in line, line
    stored = notebook_chat(api)["messages"][-1]
    assert stored["meta"]["status"] == "stopped"
    assert run.final()["text/markdown"] == stored["content"]


def test_a_cell_waits_for_an_answer_the_panel_is_writing(kernel, api):
    chat(kernel, f"%chat -m {MODEL} start the chat")
    chat_id = notebook_chat(api)["id"]
    body = {"model": SLOW_MODEL, "chat_id": chat_id, "content": "from the panel", "stream": False}
    panel = threading.Thread(target=lambda: api.post("chat/completions", json=body, timeout=60))
    panel.start()
    try:
        for _ in range(200):
            if api.get("chat/completions").json()["items"]:
                break
            time.sleep(0.05)
        line = one_line(chat(kernel, "%chat too soon"))
        assert "still being written" in line and "Chats panel" in line, line
    finally:
        for running in api.get("chat/completions").json()["items"]:  # not waited out
            api.post(f"chat/completions/{running['message_id']}/stop")
        panel.join(60)
    contents = [m["content"] for m in notebook_chat(api)["messages"] if m["role"] == "user"]
    assert "too soon" not in contents


def test_an_empty_system_prompt_is_none_at_all(server, upstream, api):
    with loaded_kernel(server, None) as bare:
        chat(bare, f"%chat -m {MODEL} first of three")
        [made] = api.get("chats", params={"q": "first of three"}).json()["items"]
        settings = {"settings": {"system": "The chat's own."}}
        assert api.patch(f"chats/{made['id']}", json=settings).status_code == 200
        chat(bare, "%chat second of three")
        assert sent_for(upstream, "second of three")["messages"][0]["role"] == "system"
        # Neither the chat's nor the model's: what was asked for is nothing.
        chat(bare, "%chat --system '' third of three")
        sent = sent_for(upstream, "third of three")
        assert all(m["role"] != "system" for m in sent["messages"]), sent["messages"]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"JUPYTER_RUNTIME_DIR": "/nonexistent/runtime"}, "No Jupyter server found"),
        ({"JUPYTER_CHAT_URL": "http://127.0.0.1:9/"}, "Cannot reach the Jupyter server"),
        ({"JUPYTER_CHAT_TOKEN": "wrong"}, "refused the token"),
    ],
    ids=["no-server", "unreachable", "bad-token"],
)
def test_connection_problems_are_one_line(kernel, env, expected):
    setup = "import os\n" + "".join(f"os.environ[{k!r}] = {v!r}\n" for k, v in env.items())
    undo = "".join(f"os.environ.pop({k!r}, None)\n" for k in env)
    saved = "_saved = dict(os.environ)\n"
    try:
        chat(kernel, "import os\n" + saved + setup + "%reload_ext jupyter_chat_kernel")
        line = one_line(chat(kernel, f"%chat -m {MODEL} hello"))
        assert expected in line, line
        assert one_line(chat(kernel, "%chat_models")).startswith("%chat_models: ")
    finally:
        chat(
            kernel,
            undo + "os.environ.update(_saved)\n%reload_ext jupyter_chat_kernel",
        )
    assert markdown(chat(kernel, f"%chat -m {MODEL} hello again")) == "You said: hello again"


def test_setting_the_url_in_the_kernel_counts_from_the_next_cell(kernel, server):
    # What the unreachable server's line advises, done in the notebook, as the URL printed
    # by the server: the next cell uses it.
    chat(kernel, "import os\n_saved = dict(os.environ)")
    try:
        chat(kernel, "%env JUPYTER_CHAT_URL=http://127.0.0.1:9/")
        line = one_line(chat(kernel, f"%chat -m {MODEL} hello"))
        assert "Cannot reach the Jupyter server at http://127.0.0.1:9/" in line, line
        chat(kernel, f"%env JUPYTER_CHAT_URL={server.url}lab?token={server.token}")
        answer = chat(kernel, f"%chat -m {MODEL} hello after")
        assert markdown(answer) == "You said: hello after", answer.stderr
    finally:
        chat(kernel, "os.environ.clear()\nos.environ.update(_saved)")
    assert markdown(chat(kernel, f"%chat -m {MODEL} hello again")) == "You said: hello again"


def running_answers(api: httpx.Client, until: Callable[[list[dict]], bool]) -> list[dict]:
    """The server's answers being written, once ``until(them)`` holds (within 30 s)."""
    deadline = time.monotonic() + 30
    while True:
        items = api.get("chat/completions").json()["items"]
        if until(items):
            return items
        assert time.monotonic() < deadline, f"still running after 30 s: {items}"
        time.sleep(0.05)


def test_interrupting_an_unstreamed_answer_in_a_kernel_without_a_notebook(server, upstream, api):
    # No notebook: the chat is made by the server with the answer, so the kernel learns its id
    # only from the answer itself.
    with loaded_kernel(server, None) as bare:
        msg_id = bare.start(f"%chat --no-stream -m {SLOW_MODEL} bare and slow")
        [running] = running_answers(api, until=bool)
        deadline = time.monotonic() + 30
        while not chat_detail(api, running["chat_id"])["messages"][-1]["content"]:
            assert time.monotonic() < deadline, "nothing of the answer was written in 30 s"
            time.sleep(0.05)
        bare.interrupt()
        run = Run(bare.reply(msg_id), bare.collect(msg_id, timeout=30))
        line = interrupted_line(run)
        assert "interrupted" in line and "stopped" in line, line
        assert running_answers(api, until=lambda items: True) == [], "the answer goes on"
        stored = chat_detail(api, running["chat_id"])["messages"]
        assert stored[0]["content"] == "bare and slow"
        assert stored[-1]["meta"]["status"] == "stopped"
        assert run.final()["text/markdown"] == stored[-1]["content"]
        # The kernel knows the chat now: the next cell continues it.
        chat(bare, f"%chat -m {MODEL} and after that")
        stored = chat_detail(api, running["chat_id"])["messages"]
        assert [m["content"] for m in stored][-2:] == ["and after that", "You said: and after that"]


def test_a_kernel_without_a_notebook_keeps_one_chat(server, upstream, api):
    with loaded_kernel(server, None) as bare:
        chat(bare, f"%chat -m {MODEL} first")
        chat(bare, "%chat second")
        found = [c for c in api.get("chats", params={"q": "first", "limit": 50}).json()["items"]]
        contents = [[m["content"] for m in chat_detail(api, c["id"])["messages"]] for c in found]
        assert ["first", "You said: first", "second", "You said: second"] in contents


def test_one_cells_options_are_not_kept_for_the_next(server, upstream, api):
    # In a kernel without a notebook the server makes the chat with the first answer; what
    # that first cell asked for (its format's instructions, its parameters) is for it only,
    # not the chat's settings.
    with loaded_kernel(server, None) as bare:
        first = chat(bare, f'%chat -m {MODEL} -f json --system "Be brief." --seed 3 first cell')
        assert first.final()["application/json"] == {"reply": "You said: first cell"}
        sent = sent_for(upstream, "first cell")
        assert sent["seed"] == 3 and sent["messages"][0]["role"] == "system"
        assert markdown(chat(bare, "%chat second cell")) == "You said: second cell"
        sent = sent_for(upstream, "second cell")
        assert [m["role"] for m in sent["messages"]] == ["user", "assistant", "user"]
        assert "seed" not in sent and "response_format" not in sent
        [made] = api.get("chats", params={"q": "second cell"}).json()["items"]
        assert "settings" not in api.get(f"chats/{made['id']}").json()["meta"]


def _bare_kernel_at(server: RunningServer, url: str, token: str) -> KernelSession:
    """A kernel without a notebook whose magics talk to ``url``."""
    bare = KernelSession(server, None)
    chat(
        bare,
        f"import os\nos.environ['JUPYTER_CHAT_URL'] = {url!r}\n"
        f"os.environ['JUPYTER_CHAT_TOKEN'] = {token!r}\n%load_ext jupyter_chat_kernel",
    )
    return bare


def test_an_answer_whose_stream_breaks_is_followed_again_to_its_end(server, upstream, api):
    with Relay(server.port) as relay:
        relay.start()
        bare = _bare_kernel_at(server, f"http://127.0.0.1:{relay.port}{BASE_PATH}", server.token)
        try:
            msg_id = bare.start(f"%chat -m {BRISK_MODEL} carry on")
            messages = bare.collect(msg_id, until=_partial_shown, timeout=30)
            relay.cut()  # the network between kernel and server; the server writes on
            run = Run(bare.reply(msg_id), messages + bare.collect(msg_id, timeout=60))
        finally:
            bare.close()
    assert run.status == "ok" and run.stderr == "", (run.stderr, run.errors)
    whole = "You said: carry on".ljust(200, ".")  # 200 one-character pieces
    assert markdown(run) == whole
    [found] = api.get("chats", params={"q": "carry on"}).json()["items"]
    stored = chat_detail(api, found["id"])["messages"][-1]
    assert (stored["content"], stored["meta"]["status"]) == (whole, "done")


def test_an_interrupt_that_comes_after_the_answer_ended_says_it_is_whole(server, upstream, api):
    # The network holds the server's events back: the answer ends on the server while the
    # cell still waits for its first event, and the interrupt comes then.
    with Relay(server.port) as relay:
        relay.start()
        bare = _bare_kernel_at(server, f"http://127.0.0.1:{relay.port}{BASE_PATH}", server.token)
        try:
            relay.hold_after(b"over before the stop")
            msg_id = bare.start(f"%chat -m {MODEL} over before the stop")
            stored = _answer_when_ended(api, "over before the stop")
            bare.interrupt()
            time.sleep(0.3)
            relay.release()
            run = Run(bare.reply(msg_id), bare.collect(msg_id, timeout=30))
        finally:
            relay.release()
            bare.close()
    assert stored["meta"]["status"] == "done"
    assert interrupted_line(run) == (
        "%chat: interrupted after the answer had ended; the whole answer is in the chat."
    )
    assert run.final()["text/markdown"] == stored["content"] != ""


def _answer_when_ended(api: httpx.Client, question: str) -> dict:
    deadline = time.monotonic() + 20
    while True:
        found = api.get("chats", params={"q": question}).json()["items"]
        if found:
            asked, last = chat_detail(api, found[0]["id"])["messages"][-2:]
            if asked["content"] == question and last["meta"]["status"] != "streaming":
                return last
        assert time.monotonic() < deadline, found
        time.sleep(0.1)


def _cut_stream_server(tail: bytes):
    """Answers a question with ``tail`` after half an answer, and anything else (following the
    answer again, say) with a 500."""
    events = (
        b'event: start\ndata: {"chat_id": "c", "message_id": "m", "model": "x"}\n\n'
        b'event: delta\ndata: {"text": "half an answer"}\n\n' + tail
    )

    def respond(method: str, path: str, _headers: dict[str, str]):
        if method == "POST" and path.endswith("/chat/completions"):
            return 200, {"Content-Type": "text/event-stream"}, events
        return 500, {"Content-Type": "application/json"}, b'{"message": "down", "code": "x"}'

    return respond


@pytest.mark.parametrize(
    ("tail", "said"),
    [
        (b"", "ended early, and following the answer again failed: it may still be being written"),
        (b"event: delta\ndata: not json\n\n", "cannot be read"),
    ],
    ids=["cut", "garbage"],
)
def test_a_stream_broken_between_kernel_and_server_keeps_the_partial_answer(
    server, fake_server, tail, said
):
    bare = _bare_kernel_at(server, fake_server(_cut_stream_server(tail)), "t")
    try:
        run = chat(bare, "%chat -m x hello")
        line = one_line(run)
        assert said in line, line
        assert line.count("in the chat") == 1, line
        assert markdown(run) == "half an answer"
    finally:
        bare.close()
