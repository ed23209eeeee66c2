"""The pure parts of the magics: options, {expr} interpolation, reading code and JSON out of an
answer, the notebook's tag. No server needed."""

from __future__ import annotations

import sys

import pytest
from jupyter_chat_kernel._display import code_of, json_of
from jupyter_chat_kernel._interpolate import InterpolationError, interpolate
from jupyter_chat_kernel._options import OptionError, parse
from jupyter_chat_kernel._session import notebook_tag


def test_options_come_first_and_the_prompt_is_kept_as_written():
    options = parse("""-m gpt-x --system "Be brief." -f code --no-stream what's "this"?  """)
    assert (options.model, options.system, options.format, options.stream) == (
        "gpt-x",
        "Be brief.",
        "code",
        False,
    )
    assert options.prompt == 'what\'s "this"?'
    assert parse("--model=a -mb -- -f is part of it").prompt == "-f is part of it"
    assert parse("--model=a -mb x").model == "b"
    assert parse("-1 is a number").prompt == "-1 is a number"


def test_parameters_and_other_options():
    options = parse(
        "--temperature 0.5 --top-p 0.9 --top-k 40 --max-tokens 9 --seed 3 --stop a --stop b "
        "-p num_ctx=4096 -p mirostat=2 -p 'tag=\"x y\"' hi"
    )
    assert options.params == {
        "temperature": 0.5,
        "top_p": 0.9,
        "top_k": 40,
        "max_tokens": 9,
        "seed": 3,
        "stop": ["a", "b"],
        "num_ctx": 4096,
        "options": {"mirostat": 2, "tag": "x y"},
    }


def test_a_long_option_shortened_takes_its_value_as_argparse_reads_it():
    options = parse("--temp 0.2 --sys 'Be brief' --max 50 --no-s why?")
    assert (options.params, options.system, options.stream) == (
        {"temperature": 0.2, "max_tokens": 50},
        "Be brief",
        False,
    )
    assert options.prompt == "why?"
    assert parse("--mod m hi").model == "m"
    with pytest.raises(OptionError, match="ambiguous option: --top"):
        parse("--top 5 hi")


def test_options_given_whole_and_one_by_one_are_merged():
    line = """-p mirostat=2 -p 'options={"num_gpu": 1}' -p tfs_z=1.5 hi"""
    assert parse(line).params == {"options": {"mirostat": 2, "num_gpu": 1, "tfs_z": 1.5}}


def test_a_cell_magic_prompt_is_the_line_rest_and_the_cell():
    options = parse("--chat new", "line one\nline two\n")
    assert (options.chat, options.prompt) == ("new", "line one\nline two")
    assert parse("-h") is None


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("-f yaml hi", "invalid choice"),
        ("--temperature hot hi", "invalid float value"),
        ("--nope hi", "unrecognized arguments: --nope"),
        ("-p novalue hi", "NAME=VALUE"),
        ("-p options=abc -p mirostat=2 hi", "options takes a JSON object"),
        ("-p options=[1] hi", "options takes a JSON object"),
    ],
)
def test_bad_options_are_one_line_errors(line, message):
    with pytest.raises(OptionError) as caught:
        parse(line)
    assert message in str(caught.value) and "\n" not in str(caught.value)


NAMESPACE = {"x": 42, "word": "hi", "rows": list(range(1000)), "In": ["", "x = 42"]}


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("x={x} {word}", "x=42 hi"),
        ("{{x}} {{ and }}", "{x} { and }"),
        ("{missing} {a: 1} {1, 2} {x + 1}", "{missing} {a: 1} {1, 2} {x + 1}"),
        ("{len(rows)} {rows[2]}", "1000 2"),
        ("```\n{x}\n```\n{x}", "```\n{x}\n```\n42"),
        ("~~~py\n{x}\n~~~\n{x}\n```\n{x}", "~~~py\n{x}\n~~~\n42\n```\n{x}"),
        ("{In[1]}", "\n```python\nx = 42\n```\n"),
        # Bare words the notebook did not define stay, built-ins and IPython's own included.
        (
            "/users/{id} takes {input} of {type}; {len} {In}",
            "/users/{id} takes {input} of {type}; {len} {In}",
        ),
        ("````\n```\n{x}\n```\n````\n{x}", "````\n```\n{x}\n```\n````\n42"),
    ],
)
def test_interpolation(prompt, expected):
    assert interpolate(prompt, NAMESPACE, 4000, hidden={"In"}) == expected


@pytest.mark.parametrize(
    ("line", "system", "params", "prompt"),
    [
        ("--system='Be brief' Q hi", "Be brief", {}, "Q hi"),
        ('--system="Be brief" Q', "Be brief", {}, "Q"),
        ("-p y='[1, 2]' Q", None, {"options": {"y": [1, 2]}}, "Q"),
        ("""-p x='{"a": 1}' Q""", None, {"options": {"x": {"a": 1}}}, "Q"),
        ("what's up, 'doc'?", None, {}, "what's up, 'doc'?"),
    ],
)
def test_quoted_values_are_read_as_a_shell_reads_them(line, system, params, prompt):
    options = parse(line)
    assert (options.system, options.params, options.prompt) == (system, params, prompt)


def test_interpolation_budget_and_failures():
    big = interpolate("{rows}", NAMESPACE, 100)
    assert big.startswith("[0, 1, 2") and "… [truncated: " in big
    with pytest.raises(InterpolationError) as caught:
        interpolate("{rows[5000]}", NAMESPACE, 100)
    assert (
        str(caught.value)
        == "{rows[5000]} in the prompt failed: IndexError: list index out of range"
    )


class Unprintable:
    def __repr__(self) -> str:
        raise RuntimeError("no repr for you")


def test_a_value_that_cannot_be_shown_is_a_one_line_failure():
    with pytest.raises(InterpolationError) as caught:
        interpolate("look at {thing}", {"thing": Unprintable()}, 100)
    assert str(caught.value) == (
        "{thing} in the prompt cannot be shown: RuntimeError: no repr for you"
    )
    # Inside a container, reprlib shows it as an instance instead.
    assert interpolate("{things}", {"things": [Unprintable()]}, 100).startswith("[<Unprintable")


def test_err_keeps_the_end_of_a_long_traceback(monkeypatch):
    def deep(n):
        return deep(n - 1) if n else 1 / 0

    try:
        deep(50)
    except ZeroDivisionError as error:
        monkeypatch.setattr(sys, "last_exc", error, raising=False)
        monkeypatch.setattr(sys, "last_value", error, raising=False)
    text = interpolate("{Err}", {}, 300)
    assert "… [truncated: " in text
    assert (
        text.rstrip().removesuffix("```").rstrip().endswith("ZeroDivisionError: division by zero")
    )
    monkeypatch.setattr(sys, "last_exc", None, raising=False)
    monkeypatch.setattr(sys, "last_value", None, raising=False)
    with pytest.raises(InterpolationError):
        interpolate("{Err}", {}, 300)


def test_reading_code_and_json_out_of_answers():
    answer = "Try this:\n```python\nimport os\n```\nand\n```\nprint(1)\n```\nDone."
    assert code_of(answer) == "import os\n\nprint(1)"
    assert code_of("  x = 1\n") == "x = 1"
    assert json_of('```json\n{"a": [1]}\n```') == {"a": [1]}
    assert json_of(" [1, 2] ") == [1, 2]
    with pytest.raises(ValueError):
        json_of("no json here")


def test_notebook_tags_are_distinct_and_fit():
    a = notebook_tag("/home/u/a/analysis.ipynb")
    b = notebook_tag("/home/u/b/analysis.ipynb")
    assert a != b and a.startswith("notebook:analysis.ipynb#")
    assert len(notebook_tag("/x/" + "n" * 300 + ".ipynb")) <= 100


def test_the_models_table_says_which_connections_failed():
    from jupyter_chat_kernel import ModelList, ModelOut
    from jupyter_chat_kernel._display import models_bundle

    model = ModelOut("a|b", "A", "me", "c1", "Box", "ollama", None)
    shown = models_bundle(ModelList(items=(model,), errors={"Down": "refused"}))
    assert "| a\\|b | A | Box | ollama |" in shown["text/markdown"]
    assert shown["text/plain"].splitlines()[-2:] == ["Problems:", "  Down: refused"]
    empty = models_bundle(ModelList(items=(), errors={"Down": "refused"}))
    assert empty["text/plain"].startswith("No model can be used now.")
    assert empty["text/plain"].endswith("  Down: refused")
    assert models_bundle(ModelList(items=(), errors={}))["text/plain"].startswith("No models:")
