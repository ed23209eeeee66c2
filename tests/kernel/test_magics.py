"""%chat, %%chat and %chat_models in a real IPython kernel, against the real server and a fake
model server that echoes the last user message ("You said: ...")."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator

import httpx
import pytest

from jupyter_chat_ext.testing.upstream import RefusedPort, UpstreamThread

from .conftest import DOWN_MODEL, MODEL, SLOW_MODEL, SLOW_THINK_MODEL, STEADY_MODEL, sent_for
from .magic_calls import (
    chat,
    chat_detail,
    loaded_kernel,
    markdown,
    notebook_chat,
    notebook_chats,
    one_line,
)

pytest.importorskip("ipykernel")
pytest.importorskip("jupyter_client")


def test_line_magic_streams_markdown_updated_in_place(kernel):
    run = chat(kernel, f"%chat -m {STEADY_MODEL} hello there")
    shown = run.displays()
    assert shown[0]["type"] == "display_data"
    display_id = shown[0]["transient"]["display_id"]
    updates = [d for d in shown[1:] if d["type"] == "update_display_data"]
    assert len(updates) >= 2, "the answer was not shown as it streamed"
    assert all(d["transient"]["display_id"] == display_id for d in updates)
    texts = [d["data"]["text/markdown"] for d in updates]
    assert texts[-1].startswith("You said: hello there")
    # Each update shows more of the answer, each a prefix of the last.
    assert all(texts[-1].startswith(text) for text in texts)
    assert len(set(texts)) >= 2
    assert run.stderr == ""


def test_cells_continue_the_notebooks_chat_which_the_server_shows(kernel, api, upstream):
    first = chat(kernel, f"%chat -m {MODEL} remember the number seven")
    assert markdown(first) == "You said: remember the number seven"
    second = chat(kernel, "%%chat\nwhat number was it?")  # the model sticks
    assert markdown(second) == "You said: what number was it?"

    detail = notebook_chat(api)
    assert detail["title"] == "analysis.ipynb"
    contents = [(m["role"], m["content"]) for m in detail["messages"]]
    assert contents[-4:] == [
        ("user", "remember the number seven"),
        ("assistant", "You said: remember the number seven"),
        ("user", "what number was it?"),
        ("assistant", "You said: what number was it?"),
    ]
    assert detail["messages"][-1]["model"] == MODEL
    # The model was sent the whole conversation.
    sent = sent_for(upstream, "what number was it?")["messages"]
    assert [m["content"] for m in sent[-3:]] == [
        "remember the number seven",
        "You said: remember the number seven",
        "what number was it?",
    ]

    # The panel continues the same chat, and the notebook sees what it said.
    answer = api.post(
        "chat/completions",
        json={
            "model": MODEL,
            "chat_id": detail["id"],
            "content": "from the panel",
            "stream": False,
        },
    )
    assert answer.status_code == 200, answer.text
    chat(kernel, "%chat and from the notebook")
    sent = [m["content"] for m in sent_for(upstream, "and from the notebook")["messages"]]
    assert sent[-3:] == ["from the panel", "You said: from the panel", "and from the notebook"]


def test_chat_option_new_last_and_id(kernel, api):
    new = chat(kernel, f"%chat -m {MODEL} --chat new a fresh start")
    assert markdown(new) == "You said: a fresh start"
    fresh = notebook_chat(api)  # the newest chat of the notebook is the one just made
    assert [m["content"] for m in fresh["messages"]] == ["a fresh start", "You said: a fresh start"]
    chat(kernel, "%chat and then")
    assert len(chat_detail(api, fresh["id"])["messages"]) == 4

    other = api.post("chats", json={"title": "made in the panel", "messages": []}).json()
    chat(kernel, f"%chat --chat {other['id']} over here")
    assert [m["content"] for m in chat_detail(api, other["id"])["messages"]] == [
        "over here",
        "You said: over here",
    ]
    newest = api.post("chats", json={"title": "newest", "messages": []}).json()
    chat(kernel, "%chat --chat last on the newest")
    assert len(chat_detail(api, newest["id"])["messages"]) == 2
    chat(kernel, "%chat still there")  # --chat sticks for the cells that follow
    assert len(chat_detail(api, newest["id"])["messages"]) == 4

    line = one_line(chat(kernel, "%chat --chat no-such-chat hello"))
    assert line.startswith("%chat: No chat with id 'no-such-chat'")
    chat(kernel, f"%chat --chat {fresh['id']} back home")
    assert len(chat_detail(api, fresh["id"])["messages"]) == 6


def test_system_prompt_and_parameters_reach_the_model(kernel, upstream):
    run = chat(
        kernel,
        f'%chat -m {MODEL} --system "Be brief." --temperature 0.3 --top-p 0.9 --max-tokens 50 '
        '--seed 7 --stop END -p presence_penalty=0.5 -p mirostat=2 what\'s up, "doc"?',
    )
    assert markdown(run) == 'You said: what\'s up, "doc"?'
    body = sent_for(upstream, 'what\'s up, "doc"?')
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}
    assert body["messages"][-1]["content"] == 'what\'s up, "doc"?'
    for name, value in {
        "temperature": 0.3,
        "top_p": 0.9,
        "max_tokens": 50,
        "seed": 7,
        "stop": ["END"],
        "presence_penalty": 0.5,
        "mirostat": 2,
    }.items():
        assert body[name] == value, name


def test_interpolation_of_values_history_and_truncation(kernel):
    chat(kernel, "x = 41 + 1\nbig = 'z' * 10_000\nx")
    history = kernel.execute("print(len(In) - 1)").stdout.strip()
    cell = int(history) - 1  # the cell that set x
    answer = markdown(
        chat(
            kernel,
            f"%%chat -m {MODEL}\nx is {{x}}, the cell was {{In["
            + str(cell)
            + "]} and gave {Out["
            + str(cell)
            + "]}; long: {big}; literal {{x}}, unknown {nothing_here}, a dict {'a': 1}",
        )
    )
    assert answer.startswith("You said: x is 42, the cell was \n```python\nx = 41 + 1\n")
    assert "and gave 42;" in answer
    assert "z" * 4000 + "… [truncated: 6,000 more characters]" in answer
    assert "literal {x}, unknown {nothing_here}, a dict {'a': 1}" in answer
    # A cell with a magic is given as it was typed, not as IPython turned it into Python.
    chat(kernel, "%chat a magic cell")
    typed = int(kernel.execute("print(len(In) - 1)").stdout.strip()) - 1
    answer = markdown(chat(kernel, "%%chat\nthe cell was {In[" + str(typed) + "]}"))
    assert "```python\n%chat a magic cell\n```" in answer, answer


def test_a_dataframe_becomes_its_shape_dtypes_and_head(kernel):
    ready = kernel.execute(
        "import pandas as pd\n"
        "df = pd.DataFrame({'city': ['Oslo', 'Lima'] * 50, 'temp': range(100)})"
    )
    if "ModuleNotFoundError" in "".join(ready.errors):
        pytest.skip("pandas is not installed in the kernel")
    answer = markdown(chat(kernel, "%chat -m fake-chat describe {df}"))
    assert "pandas DataFrame, shape (100, 2)" in answer
    assert "dtypes:" in answer and "temp" in answer and "int64" in answer
    assert "head():" in answer and "Oslo" in answer
    assert "99" not in answer.split("head():")[1], "only the head is sent"


def test_err_is_the_last_exception_with_its_traceback(kernel):
    failed = kernel.execute("def broken():\n    return 1 / 0\nbroken()")
    assert failed.status == "error"
    answer = markdown(chat(kernel, f"%chat -m {MODEL} why does this fail? {{Err}}"))
    assert "Traceback (most recent call last)" in answer
    assert "return 1 / 0" in answer
    assert answer.rstrip().rstrip("`").rstrip().endswith("ZeroDivisionError: division by zero")
    # As the notebook showed it: the cell's frames, named as IPython names them, in plain text.
    assert "Cell In[" in answer and "in broken" in answer
    assert "\x1b[" not in answer
    for internal in ("interactiveshell.py", "run_code", "exec(code_obj"):
        assert internal not in answer


def test_err_of_a_cell_that_does_not_compile_is_where_it_fails(kernel):
    failed = kernel.execute("ok = 1\nprint(ok))")
    assert failed.status == "error"
    answer = markdown(chat(kernel, f"%chat -m {MODEL} what is wrong? {{Err}}"))
    assert "Cell In[" in answer and "line 2" in answer and "print(ok))" in answer
    assert "SyntaxError: unmatched ')'" in answer
    for internal in ("interactiveshell.py", "compilerop.py", "ast_parse", "Traceback"):
        assert internal not in answer


def test_format_code_puts_the_code_into_the_next_cell(kernel):
    run = chat(kernel, f"%%chat -m {MODEL} -f code\nHere:\n```python\nprint('{{x}}')\n```")
    [payload] = [p for p in run.payloads if p["source"] == "set_next_input"]
    assert payload["text"] == "print('{x}')"  # nothing in code fences is interpolated
    assert payload["replace"] is False
    final = run.final()
    assert "next cell" in final["text/markdown"] and "print(" not in final["text/markdown"]


def test_a_format_keeps_the_chats_system_prompt(kernel, api, upstream):
    chat(kernel, f"%chat -m {MODEL} ahoy")
    mine = notebook_chat(api)["id"]
    pirate = {"settings": {"system": "Talk like a pirate."}}
    assert api.patch(f"chats/{mine}", json=pirate).status_code == 200
    try:
        chat(kernel, "%chat -f code a loop, matey")
        system = sent_for(upstream, "a loop, matey")["messages"][0]
        assert system["role"] == "system"
        assert system["content"].startswith("Talk like a pirate.\n\nAnswer with code only")
        chat(kernel, "%chat -f json --system 'Be terse.' one colour")
        system = sent_for(upstream, "one colour")["messages"][0]["content"]
        assert system.startswith("Be terse.\n\nAnswer with one JSON value only")
        chat(kernel, "%chat and now in words")  # the format was for its own answer alone
        assert sent_for(upstream, "and now in words")["messages"][0] == {
            "role": "system",
            "content": "Talk like a pirate.",
        }
    finally:
        api.patch(f"chats/{mine}", json={"settings": {"system": None}})


def test_an_answer_cut_at_its_token_limit_says_so(kernel):
    run = chat(kernel, f"%chat -m {MODEL} --max-tokens 3 tell me a long story please")
    assert markdown(run) == "You said: tell"  # the fake model's first three words
    assert one_line(run) == (
        "%chat: the answer was cut short at its token limit; what was written is kept in the chat."
    )
    assert chat(kernel, f"%chat -m {MODEL} --max-tokens 50 short").stderr == ""


def test_format_json_text_and_no_stream(kernel):
    data = chat(kernel, f"%chat -m {MODEL} -f json three colours").final()
    assert data["application/json"] == {"reply": "You said: three colours"}

    text = chat(kernel, "%chat -f text plain please").final()
    assert text == {"text/plain": "You said: plain please"}

    run = chat(kernel, f"%chat --no-stream -m {STEADY_MODEL} all at once")
    shown = run.displays()
    assert [d["type"] for d in shown] == ["display_data", "update_display_data"]
    assert shown[-1]["data"]["text/markdown"].startswith("You said: all at once")


def test_output_returns_the_answer_as_its_format_reads_it(kernel):
    run = chat(kernel, f"x = %chat -o -m {MODEL} keep this")
    assert markdown(run) == "You said: keep this", "shown as ever"
    chat(kernel, "data = %chat --output -f json three colours")
    # A cell's answer is its result, which _ holds next.
    chat(kernel, "%%chat -o -f code\nHere:\n```python\nprint(1)\n```")
    shown = chat(kernel, "print(repr(x)); print(repr(data)); print(repr(_))").stdout
    assert shown.splitlines() == [
        "'You said: keep this'",
        "{'reply': 'You said: three colours'}",
        "'print(1)'",
    ]
    # Last in a cell, the answer is the cell's result; without -o, nothing is returned.
    last = chat(kernel, "%chat -o -f text as the result")
    [result] = [m["content"] for m in last.messages if m["msg_type"] == "execute_result"]
    assert result["data"]["text/plain"] == "'You said: as the result'"
    plain = chat(kernel, "y = %chat -f text not kept\nprint(y)")
    assert plain.stdout == "None\n"
    assert not [m for m in plain.messages if m["msg_type"] == "execute_result"]


def test_a_reasoning_model_shows_it_is_thinking_then_only_its_answer(kernel):
    run = chat(kernel, f"%chat -m {SLOW_THINK_MODEL} ponder this")
    texts = [d["data"]["text/markdown"] for d in run.displays()]
    assert "Thinking…" in texts, texts
    assert texts[-1] == "You said: ponder this"
    assert not any("Thinking about" in text for text in texts)
    assert run.stderr == ""


@pytest.mark.parametrize("streamed", [True, False])
def test_a_model_that_only_thinks_says_so_rather_than_wait_forever(kernel, streamed):
    # The stop sequence cuts the whole answer: the model thought, then said nothing.
    flags = "" if streamed else "--no-stream "
    run = chat(kernel, f"%chat {flags}-m {SLOW_THINK_MODEL} --stop You ponder that")
    last = run.displays()[-1]["data"]["text/markdown"]
    assert last not in ("…", "Thinking…", ""), last
    assert "no answer" in last and "thoughts are in the chat" in last, last
    assert run.stderr == ""


def test_chat_models_lists_the_servers_models(kernel):
    run = chat(kernel, "%chat_models")
    [shown] = run.displays()
    table = shown["data"]["text/markdown"]
    for model in (MODEL, SLOW_MODEL, DOWN_MODEL):
        assert f"| {model} |" in table.replace("\\|", "|")
    assert "Fake" in shown["data"]["text/plain"]
    # Listed, but marked: it makes embeddings only.
    assert (
        "| all-MiniLM-L6-v2 | all-MiniLM-L6-v2 | Local (all-MiniLM-L6-v2) | local, embeddings |"
        in table
    )


@contextlib.contextmanager
def connected(api: httpx.Client, **body: str) -> Iterator[dict]:
    """A connection for the length of a test."""
    made = api.post("connections", json={"kind": "openai", **body})
    assert made.status_code == 201, made.text
    try:
        yield made.json()
    finally:
        api.delete(f"connections/{made.json()['id']}")


def test_chat_models_says_each_problem_for_what_it_is(kernel, api, upstream):
    preset = {"id": "taken-later", "name": "Hider", "base_model": MODEL}
    assert api.post("presets", json=preset).status_code == 201
    try:
        with (
            RefusedPort() as port,
            UpstreamThread(models=("taken-later",)) as later,
            connected(api, base_url=f"{port.url}/v1", name="Down"),
            connected(api, base_url=later.openai_url, name="Later"),
        ):
            shown = chat(kernel, "%chat_models").displays()[0]["data"]
        problems = shown["text/plain"].split("\nProblems:\n")[1]
        assert "| taken-later | Hider | Fake | preset |" in shown["text/markdown"]
        assert "  Down: Cannot connect to" in problems
        # The preset is listed: what it hides is the other server's model of that id.
        assert "  Hider" not in problems and "could not be listed" not in shown["text/plain"]
        assert "  Preset Hider: its id 'taken-later' is also a model of Later" in problems
        assert "- Down: Cannot connect to" in shown["text/markdown"]
    finally:
        api.delete("presets/taken-later")


def test_no_model_now_is_not_said_to_need_a_connection(server, api, upstream):
    fake = next(c for c in api.get("connections").json()["items"] if c["name"] == "Fake")
    assert api.patch(f"connections/{fake['id']}", json={"enabled": False}).status_code == 200
    try:
        with (
            loaded_kernel(server, "elsewhere/notes.ipynb") as elsewhere,
            RefusedPort() as port,
            connected(api, base_url=f"{port.url}/v1", name="Down"),
        ):
            line = one_line(chat(elsewhere, "%chat hello"))
        assert "No model can be used now" in line and "Down: Cannot connect" in line, line
        assert "adds a connection" not in line, line
    finally:
        api.patch(f"connections/{fake['id']}", json={"enabled": True})


def test_help_and_bad_options(kernel):
    assert "--format" in chat(kernel, "%chat -h").stdout
    assert "invalid choice: 'yaml'" in one_line(chat(kernel, "%chat -f yaml hi"))
    assert "no prompt" in one_line(chat(kernel, "%chat -m fake-chat"))
    chat(kernel, "x = 42")
    assert "{x.nope}" in one_line(chat(kernel, "%chat tell me {x.nope}"))
    chat(kernel, "class Unprintable:\n    def __repr__(self):\n        raise ValueError('no')")
    chat(kernel, "odd = Unprintable()")
    assert "{odd} in the prompt cannot be shown" in one_line(chat(kernel, "%chat what is {odd}"))


def test_json_output_is_valid_json(kernel):
    data = chat(kernel, f"%chat -m {MODEL} -f json more colours").final()
    assert json.loads(data["text/plain"]) == data["application/json"]


def test_a_question_mark_ends_a_question_not_a_help_request(kernel):
    assert markdown(chat(kernel, f"%chat -m {MODEL} is it?")) == "You said: is it?"
    assert markdown(chat(kernel, "x = 1\nif x:\n    %chat and this?")) == "You said: and this?"


def test_a_chat_line_inside_a_string_is_text_not_a_magic(kernel):
    run = chat(kernel, 'notes = """\n%chat why?\n"""\nprint(repr(notes))')
    assert run.stdout == "'\\n%chat why?\\n'\n"
    # A prompt that opens a quote does not hide the magic on the next line.
    cell = f'%chat -m {MODEL} what does """ mean?\n%chat -m {MODEL} and this?'
    shown = [d["data"].get("text/markdown") for d in chat(kernel, cell).displays()]
    assert 'You said: what does """ mean?' in shown and "You said: and this?" in shown


def test_a_chat_deleted_in_the_panel_is_started_again(kernel, api):
    chat(kernel, f"%chat -m {MODEL} before")
    tagged = notebook_chats(api)
    for gone in tagged:
        assert api.delete(f"chats/{gone['id']}").status_code == 204
    assert markdown(chat(kernel, "%chat after")) == "You said: after"
    [again] = notebook_chats(api)
    assert again["id"] not in {gone["id"] for gone in tagged}
    assert again["title"] == "analysis.ipynb"
    detail = chat_detail(api, again["id"])
    assert [m["content"] for m in detail["messages"]] == ["after", "You said: after"]


def test_the_notebooks_chat_survives_a_kernel_restart(kernel, api):
    chat(kernel, f"%chat -m {MODEL} before the restart")
    before = notebook_chat(api)
    kernel.restart()
    chat(kernel, "%load_ext jupyter_chat_kernel")
    chat(kernel, f"%chat -m {MODEL} after the restart")
    after = notebook_chat(api)
    assert after["id"] == before["id"]
    assert [m["content"] for m in after["messages"][-4:]] == [
        "before the restart",
        "You said: before the restart",
        "after the restart",
        "You said: after the restart",
    ]


def test_the_default_model_comes_from_ipython_config(kernel, upstream):
    try:
        chat(kernel, "%reload_ext jupyter_chat_kernel")
        # A new chat, so that no earlier answer's model is taken up.
        chat(kernel, "%chat --chat new before any setting")
        # The first model listed that chats: the server's local embedding model comes first.
        assert sent_for(upstream, "before any setting")["model"] == MODEL
        # A model found by default is found again: a setting made later counts.
        chat(kernel, f"%config ChatMagics.model = {STEADY_MODEL!r}")
        assert markdown(chat(kernel, "%chat configured")).startswith("You said: configured")
        assert sent_for(upstream, "configured")["model"] == STEADY_MODEL
    finally:
        chat(kernel, "%config ChatMagics.model = ''\n%reload_ext jupyter_chat_kernel")
