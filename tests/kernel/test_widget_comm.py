"""ChatWidget's Python side in a real kernel, driven the way its front end drives it: through
the widget's comm (custom messages in, trait updates out)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from jupyter_chat_ext.chats.schemas import UNTITLED

from .conftest import BASE_PATH, MODEL, SLOW_MODEL, SLOW_THINK_MODEL, STEADY_MODEL
from .kernel_session import KernelSession
from .relay import Relay
from .slow_listing import slow_model_list

pytest.importorskip("anywidget")
pytest.importorskip("ipykernel")


@pytest.fixture(scope="module")
def kernel(server, upstream) -> Iterator[KernelSession]:
    session = KernelSession(server, "project/widget.ipynb")
    try:
        # Every test may make a widget, whichever runs first (or alone, or on another worker).
        assert session.execute("from jupyter_chat_kernel import ChatWidget").status == "ok"
        yield session
    finally:
        session.close()


class Front:
    """What a front end would know of the widget: its comm and the state it was sent."""

    def __init__(self, kernel: KernelSession, opened: dict[str, Any]) -> None:
        self.kernel = kernel
        self.comm_id = opened["content"]["comm_id"]
        self.state = dict(opened["content"]["data"]["state"])
        self.updates: list[dict[str, Any]] = []

    def send(self, content: dict[str, Any]) -> None:
        self.kernel.send_comm(self.comm_id, {"method": "custom", "content": content})

    def set(self, **state: Any) -> None:
        self.kernel.send_comm(
            self.comm_id, {"method": "update", "state": state, "buffer_paths": []}
        )
        self.state.update(state)

    def follow(
        self, until: Any, already: list[dict[str, Any]] = (), timeout: float = 30
    ) -> list[dict[str, Any]]:
        """Apply the kernel's updates until ``until(state)``; returns the updates seen."""
        seen: list[dict[str, Any]] = []
        pending = list(already)

        def done(messages: list[dict[str, Any]]) -> bool:
            while messages:
                message = messages.pop(0)
                content = message["content"]
                if message["msg_type"] == "comm_msg" and content["comm_id"] == self.comm_id:
                    data = content["data"]
                    if data.get("method") in ("update", "echo_update"):
                        self.state.update(data["state"])
                        seen.append(data["state"])
            return until(self.state)

        done(pending)
        if not until(self.state):
            self.kernel.iopub(done, timeout)
        self.updates += seen
        return seen


def open_widget(kernel: KernelSession, code: str) -> Front:
    msg_id = kernel.start(code)
    messages = kernel.collect(msg_id, timeout=60)
    errors = [m for m in messages if m["msg_type"] == "error"]
    assert not errors, errors[0]["content"]["traceback"]
    opened = [
        m
        for m in messages
        if m["msg_type"] == "comm_open"
        and m["content"]["data"]["state"].get("_model_name") == "AnyModel"
    ]
    assert opened, [m["msg_type"] for m in messages]
    shown = [m for m in messages if m["msg_type"] in ("execute_result", "display_data")]
    view = shown[-1]["content"]["data"]["application/vnd.jupyter.widget-view+json"]
    assert view["model_id"] == opened[-1]["content"]["comm_id"]
    kernel.reply(msg_id)
    front = Front(kernel, opened[-1])
    front.follow(lambda state: True, messages)  # updates sent while the cell ran
    return front


def answers(updates: list[dict[str, Any]]) -> list[str]:
    """The last message's content in each update of ``messages``."""
    return [u["messages"][-1]["content"] for u in updates if u.get("messages")]


def test_the_widget_opens_with_the_servers_models(kernel):
    front = open_widget(
        kernel, f"from jupyter_chat_kernel import ChatWidget\nw = ChatWidget(model={MODEL!r})\nw"
    )
    state = front.state
    assert state["model"] == MODEL
    assert {MODEL, SLOW_MODEL, STEADY_MODEL} <= set(state["models"])
    # The server's local embedding model makes no answers, so it is not offered.
    assert "all-MiniLM-L6-v2" not in state["models"]
    assert (state["chat_id"], state["messages"], state["busy"], state["error"]) == (
        None,
        [],
        False,
        "",
    )
    assert "export default" in state["_esm"] and "--jp-" in state["_css"]


def test_asking_streams_into_messages_and_makes_a_chat(kernel, api):
    front = open_widget(kernel, f"w = ChatWidget(model={STEADY_MODEL!r})\nw")
    front.send({"type": "ask", "content": "hi widget"})
    updates = front.follow(lambda s: s.get("chat_id") and s["busy"] is False and s["messages"])
    assert any(u.get("busy") is True for u in updates), "busy was never set"
    texts = [t for t in answers(updates) if t != "hi widget"]  # the question comes first
    assert len(set(texts)) >= 3, f"messages did not stream: {texts}"
    assert all(texts[-1].startswith(t) for t in texts)
    final = front.state["messages"]
    assert [(m["role"], m["status"]) for m in final] == [("user", "done"), ("assistant", "done")]
    # Every message has the same fields as those of a chat read from the server.
    fields = {"id", "role", "content", "model", "status", "thought"}
    assert all(set(m) == fields for u in updates if "messages" in u for m in u["messages"])
    assert final[1]["content"].startswith("You said: hi widget")
    assert final[1]["model"] == STEADY_MODEL

    stored = api.get(f"chats/{front.state['chat_id']}").json()["messages"]
    assert [m["id"] for m in stored] == [m["id"] for m in final]
    assert [m["content"] for m in stored] == [m["content"] for m in final]


def test_a_new_chat_takes_the_title_the_server_gives_it(kernel, api):
    code = f"from jupyter_chat_kernel import ChatWidget\nw = ChatWidget(model={MODEL!r})\nw"
    front = open_widget(kernel, code)
    front.send({"type": "ask", "content": "name this chat about tides"})
    # The server names the chat once the answer has ended, with a request to the model.
    front.follow(lambda s: s.get("title") not in (None, "", UNTITLED))
    stored = api.get(f"chats/{front.state['chat_id']}").json()["title"]
    assert front.state["title"] == stored
    assert "tides" in stored.lower()


def test_the_widget_knows_the_title_of_an_unnamed_chat():
    from jupyter_chat_kernel import _widget

    assert _widget.UNTITLED == UNTITLED


def test_a_reasoning_model_is_shown_thinking_then_answering(kernel):
    code = (
        f"from jupyter_chat_kernel import ChatWidget\nw = ChatWidget(model={SLOW_THINK_MODEL!r})\nw"
    )
    front = open_widget(kernel, code)
    front.send({"type": "ask", "content": "ponder"})
    updates = front.follow(lambda s: s.get("chat_id") and s["busy"] is False and s["messages"])
    shown = [
        (u["messages"][-1]["status"], u["messages"][-1]["content"])
        for u in updates
        if u.get("messages")
    ]
    assert ("thinking", "") in shown, shown
    thinking = [u["messages"][-1] for u in updates if u.get("messages")][1:]
    assert all(m["thought"] for m in thinking if m["status"] == "thinking"), thinking
    assert front.state["messages"][-1]["content"] == "You said: ponder"
    assert front.state["messages"][-1]["status"] == "done"
    assert not any("Thinking about" in text for _, text in shown)


def test_the_kernel_stays_free_and_stop_keeps_the_partial_answer(kernel, api):
    front = open_widget(kernel, f"w = ChatWidget(model={MODEL!r})\nw")
    front.set(model=SLOW_MODEL)
    front.send({"type": "ask", "content": "a long one"})
    front.follow(lambda s: s["busy"] and len(s["messages"]) == 2 and s["messages"][1]["content"])

    # The kernel runs other cells while the answer streams.
    run = kernel.execute("print(w.busy, w.model)", timeout=10)
    assert run.stdout.split() == ["True", SLOW_MODEL]

    front.send({"type": "stop"})
    front.follow(lambda s: s["busy"] is False)
    answer = front.state["messages"][-1]
    assert answer["status"] == "stopped"
    whole = "You said: a long one".ljust(200, ".")  # 200 one-character pieces
    assert whole.startswith(answer["content"]) and answer["content"]
    assert len(answer["content"]) < len(whole)
    stored = api.get(f"chats/{front.state['chat_id']}").json()["messages"][-1]
    assert (stored["content"], stored["meta"]["status"]) == (answer["content"], "stopped")


def test_stop_while_the_question_is_sent_ends_its_answer_before_the_model_is_asked(kernel, api):
    code = f"from jupyter_chat_kernel import ChatWidget\nw = ChatWidget(model={MODEL!r})\nw"
    front = open_widget(kernel, code)
    # The server looks the model up (5 s) before it begins the answer: Stop comes meanwhile.
    with slow_model_list(api, SLOW_MODEL, prefix="slow/") as slow:
        front.set(model=f"slow/{SLOW_MODEL}")
        front.send({"type": "ask", "content": "stopped on its way"})
        front.follow(lambda s: s["busy"])
        front.send({"type": "stop"})
        front.follow(lambda s: s["busy"] is False)
        asked = [r for r in slow.requests if r.path == "/v1/chat/completions"]
    answer = front.state["messages"][-1]
    assert (answer["content"], answer["status"]) == ("", "stopped")
    stored = api.get(f"chats/{front.state['chat_id']}").json()["messages"][-2:]
    assert [m["content"] for m in stored] == ["stopped on its way", ""]
    assert stored[-1]["meta"]["status"] == "stopped"
    assert asked == [], "the model was not asked"


def test_traits_work_from_python(kernel, api):
    chat = api.post(
        "chats",
        json={
            "title": "from the panel",
            "messages": [
                {"role": "user", "content": "earlier question"},
                {"role": "assistant", "content": "earlier answer", "model": MODEL},
            ],
        },
    ).json()
    code = f"""
import ipywidgets
seen = []
w = ChatWidget()
w.observe(lambda change: seen.append(change["name"]), names=["chat_id", "messages", "busy"])
box = ipywidgets.Text()
ipywidgets.link((w, "model"), (box, "value"))
w.chat_id = {chat["id"]!r}
box.value = {MODEL!r}
w.ask("and now?")
assert w.wait(30)
print(json.dumps({{"seen": sorted(set(seen)), "model": w.model, "title": w.title,
    "messages": [(m["role"], m["content"]) for m in w.messages]}}))
"""
    run = kernel.execute("import json\n" + code)
    assert run.status == "ok", run.errors
    result = json.loads(run.stdout)
    assert result["seen"] == ["busy", "chat_id", "messages"]
    assert (result["model"], result["title"]) == (MODEL, "from the panel")
    assert result["messages"] == [
        ["user", "earlier question"],
        ["assistant", "earlier answer"],
        ["user", "and now?"],
        ["assistant", "You said: and now?"],
    ]
    stored = api.get(f"chats/{chat['id']}").json()["messages"]
    assert [m["content"] for m in stored][-1] == "You said: and now?"


def test_errors_land_in_the_error_trait(kernel):
    run = kernel.execute(
        "w = ChatWidget(model='no-such-model')\nw.ask('hello')\nw.wait(30)\n"
        "print(w.error)\nprint(w.busy, [(m['id'], m['status']) for m in w.messages])\n"
        "bad = ChatWidget(chat_id='no-such-chat')\nprint(bad.error)"
    )
    assert run.status == "ok", run.errors
    unknown_model, state, unknown_chat = run.stdout.splitlines()
    assert "Unknown model 'no-such-model'" in unknown_model
    # The question never reached the chat: shown as failed, not as sent.
    assert state == "False [(None, 'error')]"
    assert "No chat with id 'no-such-chat'" in unknown_chat


def test_a_chat_that_cannot_be_read_leaves_a_model_and_a_way_on(kernel, api):
    chat = api.post("chats", json={"title": "shown first"}).json()
    run = kernel.execute(
        "import json\n"
        f"w = ChatWidget(chat_id='no-such-chat', model={MODEL!r})\n"
        "bare = ChatWidget(chat_id='no-such-chat')\n"
        f"w.chat_id = {chat['id']!r}\n"
        "titled = w.title\n"
        "w.chat_id = 'gone-too'\n"
        "after = (w.title, w.messages, bool(w.error))\n"
        "w.new_chat()\n"
        "w.ask('hello')\n"
        "ok = w.wait(30)\n"
        "last = w.messages[-1]['content']\n"
        "print(json.dumps([bare.model != '', titled, after, ok, w.error, last]))"
    )
    assert run.status == "ok", run.errors
    has_model, titled, after, ok, error, last = json.loads(run.stdout)
    assert has_model and titled == "shown first"
    assert after == ["", [], True]  # nothing of the chat shown before
    assert ok and error == "" and last == "You said: hello"


def test_a_refusal_while_busy_clears_when_the_answer_ends_and_new_chat_stops_it(kernel, api):
    run = kernel.execute(
        "import json\n"
        f"w = ChatWidget(model={STEADY_MODEL!r})\n"
        "w.ask('first')\n"
        "w.ask('too soon')\n"
        "refused = w.error\n"
        "w.wait(30)\n"
        "cleared = w.error\n"
        "first_chat = w.chat_id\n"
        "w.ask('long one')\n"
        "w.new_chat()\n"
        "print(json.dumps([refused, cleared, w.busy, w.chat_id, first_chat]))"
    )
    assert run.status == "ok", run.errors
    refused, cleared, busy, chat_id, first_chat = json.loads(run.stdout)
    assert "being written" in refused and cleared == ""
    assert busy is False and chat_id is None
    stored = api.get(f"chats/{first_chat}").json()["messages"][-1]
    assert stored["meta"]["status"] in ("stopped", "done")


def test_the_widgets_own_chat_shows_again_when_chosen_again(kernel, api):
    other = api.post(
        "chats", json={"title": "another", "messages": [{"role": "user", "content": "elsewhere"}]}
    ).json()
    run = kernel.execute(
        "import json\n"
        "from jupyter_chat_kernel import ChatWidget\n"
        f"w = ChatWidget(model={MODEL!r})\n"
        "w.ask('mine')\n"
        "w.wait(30)\n"
        "own = w.chat_id\n"
        f"w.chat_id = {other['id']!r}\n"
        "w.chat_id = own\n"
        "back = [m['content'] for m in w.messages]\n"
        "w.new_chat()\n"
        "w.chat_id = own\n"
        "print(json.dumps([back, [m['content'] for m in w.messages], w.title]))"
    )
    assert run.status == "ok", run.errors
    back, again, title = json.loads(run.stdout)
    mine = ["mine", "You said: mine"]
    assert back == mine, "not the other chat's messages"
    assert again == mine, "not an empty chat"
    assert title


def test_an_answer_being_written_elsewhere_is_followed_and_can_be_stopped(kernel, server, api):
    from jupyter_chat_kernel import Client

    follow_and_stop = """
import json, time
following = [w.busy, w.messages[-1]["status"]]
first = len(w.messages[-1]["content"])
time.sleep(1.5)
grown = len(w.messages[-1]["content"])
w.stop()
ok = w.wait(30)
last = w.messages[-1]
print(json.dumps([following, grown > first, ok, w.busy, last["status"], last["content"]]))
"""
    opened = {
        "made on the chat": "w = ChatWidget(chat_id={id!r})",
        "chosen later": f"w = ChatWidget(model={MODEL!r})\nw.chat_id = {{id!r}}",
    }
    with Client(server.url, server.token) as panel:
        for how, make in opened.items():
            answer = panel.stream("written in the panel", model=SLOW_MODEL)
            cell = make.format(id=answer.chat_id) + follow_and_stop
            run = kernel.execute("from jupyter_chat_kernel import ChatWidget\n" + cell)
            answer.close()
            assert run.status == "ok", (how, run.errors)
            following, grew, ok, busy, status, content = json.loads(run.stdout)
            assert following == [True, "streaming"], f"{how}: shown as written, not frozen"
            assert grew, f"{how}: the answer grows in the widget"
            assert (ok, busy, status) == (True, False, "stopped"), f"{how}: Stop stops it"
            stored = api.get(f"chats/{answer.chat_id}").json()["messages"][-1]
            assert (stored["meta"]["status"], stored["content"]) == ("stopped", content)
    assert api.get("chat/completions").json()["items"] == []


def test_leaving_an_answer_written_elsewhere_lets_it_go_on(kernel, server, api):
    """new_chat() and close() stop the widget's own answer, not the panel's it follows."""
    from jupyter_chat_kernel import Client

    leave = """
import json
following = w.busy
w.{how}()
print(json.dumps([following, w.wait(5), w.busy]))
"""
    with Client(server.url, server.token) as panel:
        for how in ("new_chat", "close"):
            answer = panel.stream("written in the panel", model=SLOW_MODEL)
            cell = f"w = ChatWidget(chat_id={answer.chat_id!r})" + leave.format(how=how)
            run = kernel.execute("from jupyter_chat_kernel import ChatWidget\n" + cell)
            assert run.status == "ok", (how, run.errors)
            assert json.loads(run.stdout) == [True, True, False], how
            running = [a["message_id"] for a in api.get("chat/completions").json()["items"]]
            assert answer.message_id in running, f"{how}: the panel's answer goes on"
            assert answer.stop().status == "stopped"
            answer.close()


def test_a_widget_made_while_the_server_was_away_lists_the_models_once_it_is_back(kernel, server):
    with Relay(server.port) as relay:  # refuses connections: the server is away
        url = f"http://127.0.0.1:{relay.port}{BASE_PATH}"
        make = (
            "from jupyter_chat_kernel import ChatWidget, Client\n"
            f"{{name}} = ChatWidget(client=Client({url!r}, {server.token!r}))\n{{name}}"
        )
        picked = open_widget(kernel, make.format(name="picked"))
        waited = open_widget(kernel, make.format(name="waited"))
        for front in (picked, waited):
            assert front.state["models"] == [] and front.state["model"] == ""
            assert "Cannot reach" in front.state["error"]
        relay.start()
        # Opening the model picker reads the list again.
        picked.send({"type": "models"})
        picked.follow(lambda s: s["models"] and s["model"] and s["error"] == "", timeout=15)
        assert MODEL in picked.state["models"]
        # Left alone, a widget with no models reads the list again every few seconds.
        waited.follow(lambda s: s["models"] and s["model"] and s["error"] == "", timeout=15)
        assert waited.state["models"] == picked.state["models"]
        run = kernel.execute("waited.ask('back again')\nwaited.wait(30)\nprint(waited.error)")
        assert run.status == "ok" and run.stdout.strip() == "", (run.stdout, run.errors)
