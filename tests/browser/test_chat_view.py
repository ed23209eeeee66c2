"""The chat view in a real JupyterLab against a fake model server: choosing a model,
streaming and rendering answers, stopping, regenerating, editing into branches, errors,
re-attaching after a reload, live updates from another tab, tabs, first run, themes."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager

from chat_view_ui import (
    ANSWER,
    FAILING,
    FAST,
    INPUT,
    PANEL,
    PANEL_VIEW,
    QUESTION,
    REPLY,
    SLOW,
    answer_with_status,
    answered_chat,
    chat_id_of,
    new_chat_in_panel,
    pick_model,
    reload_lab,
    run_command,
    send,
    stored_branch,
    wait_answered,
)
from chats_ui import change_theme, intercepted, server_away
from lab_process import LabServer
from page_console import ConsoleErrors
from playwright.sync_api import Browser, Page, Route, expect

from jupyter_chat_ext.testing.upstream import UpstreamThread

# Long enough to stream for a few seconds with the slow model (one word every 50 ms).
LONG_QUESTION = " ".join(f"word{n}" for n in range(150))


def test_pick_a_model_send_and_see_the_streamed_answer_rendered(
    chat_page: Page, chat_lab: LabServer
):
    page = chat_page
    # The default shortcut for a new chat (Accel Alt N).
    page.keyboard.press("Control+Alt+N")
    view = page.locator(PANEL_VIEW)
    expect(view).to_be_visible()
    expect(view.locator(INPUT)).to_be_focused()

    pick_model(view, SLOW)
    send(view, "What is 6 times 7?")

    # The question shows at once; the answer streams (with a stop button) ...
    expect(view.locator(QUESTION)).to_have_count(1)
    expect(answer_with_status(view, "streaming")).to_have_count(1)
    expect(view.locator(".jp-ChatExt-stop")).to_be_visible()
    # Screen readers wait for the answer rather than read each re-rendered piece of it.
    log = view.locator('[role="log"]')
    expect(log).to_have_attribute("aria-busy", "true")
    expect(view.locator(ANSWER)).to_contain_text("You said: What is 6 times 7?")
    # ... and is rendered: highlighted code with its toolbar, typeset math, a list.
    answer = wait_answered(view)
    expect(answer.locator(".jp-ChatExt-code pre")).to_have_text("print(6 * 7)")
    expect(answer.locator('.jp-ChatExt-code [data-action="insert"]')).to_be_visible()
    expect(answer.locator("mjx-container").first).to_be_visible()
    expect(answer.locator("li")).to_have_count(2)
    expect(answer.locator(".jp-ChatExt-messageAuthor")).to_have_text(SLOW)
    expect(answer.locator(".jp-ChatExt-usage")).to_contain_text("tokens")
    expect(view.locator(".jp-ChatExt-send")).to_be_visible()
    expect(log).to_have_attribute("aria-busy", "false")

    messages = stored_branch(chat_lab, chat_id_of(view))
    assert [m["role"] for m in messages] == ["user", "assistant"]
    assert messages[1]["content"] == f"You said: What is 6 times 7? {REPLY}"
    assert messages[1]["meta"]["status"] == "done"
    # The view shows exactly the stored text: no delta lost or repeated.
    shown = answer.locator(".jp-ChatExt-messageBody").inner_text()
    assert shown.count("You said:") == 1


def test_stop_keeps_what_was_written(chat_page: Page, chat_lab: LabServer):
    view = new_chat_in_panel(chat_page)
    pick_model(view, SLOW)
    send(view, LONG_QUESTION)
    expect(view.locator(ANSWER)).to_contain_text("word5")

    view.locator(".jp-ChatExt-stop").click()

    stopped = answer_with_status(view, "stopped")
    expect(stopped).to_have_count(1)
    expect(stopped.locator(".jp-ChatExt-messageNote")).to_have_text("Stopped.")
    answer = stored_branch(chat_lab, chat_id_of(view))[-1]
    assert answer["meta"]["status"] == "stopped"
    assert answer["content"].startswith("You said: word0")
    assert "Euler" not in answer["content"]


def test_an_answer_cut_at_its_token_limit_says_so(chat_page: Page, chat_lab: LabServer):
    view, chat_id = answered_chat(chat_page, "whole")
    settings = {"settings": {"params": {"max_tokens": 3}}}
    status, _ = chat_lab.api("PATCH", f"chats/{chat_id}", settings)
    assert status == 200
    send(view, "one two three four")
    cut = wait_answered(view, 2)
    expect(cut.locator(".jp-ChatExt-messageBody")).to_have_text("You said: one")
    expect(cut.locator(".jp-ChatExt-messageNote")).to_have_text(
        "Cut short at its token limit (Max tokens, in the chat settings)."
    )
    assert stored_branch(chat_lab, chat_id)[-1]["meta"]["finish_reason"] == "length"
    expect(view.locator(ANSWER).first.locator(".jp-ChatExt-messageNote")).to_have_count(0)


def test_stop_pressed_before_the_server_names_the_answer_still_stops_it(
    chat_page: Page, chat_lab: LabServer, upstream: UpstreamThread
):
    view = new_chat_in_panel(chat_page)
    pick_model(view, SLOW)
    send(view, LONG_QUESTION)
    wait_answered(view)
    asked = len([r for r in upstream.requests if r.path == "/v1/chat/completions"])
    # The request to answer again is held on its way, as on a slow network: Stop shows at
    # once, but the server has not said which answer it writes.
    completions = "**/chat-ext/api/chat/completions"
    held: list[Route] = []

    def hold(route: Route) -> None:
        if route.request.method == "POST":
            held.append(route)
        else:
            route.continue_()

    chat_page.route(completions, hold)
    try:
        view.locator(ANSWER).last.locator('button[title^="Answer again"]').click()
        for _ in range(100):
            if held:
                break
            chat_page.wait_for_timeout(50)
        assert held, "the request to answer again did not go out"
        view.locator(".jp-ChatExt-stop").click()
        held[0].continue_()
    finally:
        chat_page.unroute(completions, hold)
    expect(answer_with_status(view, "stopped")).to_have_count(1)
    answer = stored_branch(chat_lab, chat_id_of(view))[-1]
    assert (answer["content"], answer["meta"]["status"]) == ("", "stopped")
    # Stopped by the request's own name, it ended as the server began it: the model was
    # not asked.
    assert len([r for r in upstream.requests if r.path == "/v1/chat/completions"]) == asked


def test_send_and_stop_buttons_leave_the_focus_in_the_input(chat_page: Page, chat_lab: LabServer):
    view = new_chat_in_panel(chat_page)
    pick_model(view, SLOW)
    box = view.locator(INPUT)
    box.fill(LONG_QUESTION)
    # Pressed from the keyboard, the Send button gives way to Stop: the focus goes back to
    # the input rather than to nowhere.
    view.locator(".jp-ChatExt-send").focus()
    chat_page.keyboard.press("Enter")
    stop = view.locator(".jp-ChatExt-stop")
    expect(stop).to_be_visible()
    expect(box).to_be_focused()
    expect(view.locator(ANSWER)).to_contain_text("word3")

    stop.focus()
    chat_page.keyboard.press("Enter")
    expect(answer_with_status(view, "stopped")).to_have_count(1)
    expect(box).to_be_focused()


def test_regenerate_edit_and_switch_branches(chat_page: Page, chat_lab: LabServer):
    view = new_chat_in_panel(chat_page)
    pick_model(view, FAST)
    send(view, "first question")
    wait_answered(view)

    # Regenerate: a second version of the answer, shown as 2/2.
    view.locator(ANSWER).last.locator('button[title^="Answer again"]').click()
    answer = view.locator(ANSWER).last
    expect(answer.locator(".jp-ChatExt-siblingPosition")).to_have_text("2/2")
    wait_answered(view)
    answer.locator('button[title="Previous version"]').click()
    expect(view.locator(ANSWER).last.locator(".jp-ChatExt-siblingPosition")).to_have_text("1/2")
    # A screen reader hears which version this is, not "1/2" read as a fraction or a date.
    versions = view.locator(ANSWER).last.get_by_role("group", name="Version 1 of 2", exact=True)
    expect(versions).to_be_visible()

    # Edit the question: a new branch with its own answer.
    question = view.locator(".jp-ChatExt-message-user").first
    question.locator('button[title^="Edit"]').click()
    editor = question.locator(".jp-ChatExt-editBox textarea")
    editor.fill("second question")
    question.locator(".jp-ChatExt-editBox .jp-ChatExt-primaryButton").click()
    expect(view.locator(QUESTION).first).to_contain_text("second question")
    expect(view.locator(QUESTION).first.locator(".jp-ChatExt-siblingPosition")).to_have_text("2/2")
    expect(wait_answered(view)).to_contain_text("You said: second question")

    # Back to the first branch, with the answer that was shown there.
    view.locator(QUESTION).first.locator('button[title="Previous version"]').click()
    expect(view.locator(QUESTION).first).to_contain_text("first question")
    expect(view.locator(ANSWER).last).to_contain_text("You said: first question")
    branch = stored_branch(chat_lab, chat_id_of(view))
    assert branch[0]["content"] == "first question"
    assert len(branch[0]["sibling_ids"]) == 2


def test_the_focus_stays_with_the_keyboard_through_branches_and_edits(
    chat_page: Page, chat_lab: LabServer
):
    page = chat_page
    view, _ = answered_chat(page, "a question for the keyboard")
    box = view.locator(INPUT)
    # Regenerate from the keyboard: the answer gives way to the new one, and typing goes
    # on in the input rather than nowhere.
    view.locator(ANSWER).last.locator('button[title^="Answer again"]').focus()
    page.keyboard.press("Enter")
    expect(view.locator(ANSWER).last.locator(".jp-ChatExt-siblingPosition")).to_have_text("2/2")
    expect(box).to_be_focused()
    wait_answered(view)

    # The < 2/2 > switcher keeps the focus as the version shown changes under it: on the
    # arrow pressed, or on the other one once there is no more version that way.
    answer = view.locator(ANSWER).last
    answer.locator('button[title="Previous version"]').focus()
    page.keyboard.press("Enter")
    expect(view.locator(ANSWER).last.locator(".jp-ChatExt-siblingPosition")).to_have_text("1/2")
    expect(view.locator(ANSWER).last.locator('button[title="Next version"]')).to_be_focused()
    page.keyboard.press("Enter")
    expect(view.locator(ANSWER).last.locator(".jp-ChatExt-siblingPosition")).to_have_text("2/2")
    expect(view.locator(ANSWER).last.locator('button[title="Previous version"]')).to_be_focused()

    # Edit: Escape closes the box and gives the focus back to Edit ...
    question = view.locator(QUESTION).first
    question.locator('button[title^="Edit"]').focus()
    page.keyboard.press("Enter")
    editor = question.locator(".jp-ChatExt-editBox textarea")
    expect(editor).to_be_focused()
    page.keyboard.press("Escape")
    expect(editor).to_have_count(0)
    expect(question.locator('button[title^="Edit"]')).to_be_focused()
    # ... and once sent, the new version takes the message's place and typing goes on in
    # the input.
    page.keyboard.press("Enter")
    expect(editor).to_be_focused()
    editor.fill("an edited question")
    page.keyboard.press("Control+Enter")
    expect(view.locator(QUESTION).first.locator(".jp-ChatExt-siblingPosition")).to_have_text("2/2")
    expect(box).to_be_focused()
    expect(wait_answered(view)).to_contain_text("You said: an edited question")


def test_errors_show_in_place_with_retry(chat_page: Page, chat_lab: LabServer):
    view = new_chat_in_panel(chat_page)
    pick_model(view, FAILING)
    send(view, "this will fail")

    failed = answer_with_status(view, "error")
    expect(failed).to_have_count(1)
    expect(failed.locator(".jp-ChatExt-messageError")).to_contain_text("503")

    pick_model(view, FAST)
    failed.locator(".jp-ChatExt-messageError button").click()
    expect(wait_answered(view)).to_contain_text("You said: this will fail")
    assert stored_branch(chat_lab, chat_id_of(view))[-1]["meta"]["status"] == "done"


@contextmanager
def refused_answers(page: Page, console: ConsoleErrors) -> Iterator[None]:
    """Every request for an answer meets a 409, as while another answer is being written.
    The browser reports each refusal it was made to get; whatever else it says stays."""
    said_before = len(console.messages)
    completions = "**/chat-ext/api/chat/completions"
    busy = {
        "message": "An answer is still being written in this chat: wait for it to end.",
        "reason": "Conflict",
        "code": "answer_in_progress",
    }

    try:
        with intercepted(page, completions, lambda r: r.fulfill(status=409, json=busy), "POST"):
            yield
    finally:
        console.messages[said_before:] = [
            said for said in console.messages[said_before:] if "409 (Conflict)" not in said
        ]


def test_a_refused_question_goes_back_to_the_input(
    chat_page: Page, chat_lab: LabServer, module_console: ConsoleErrors
):
    view = new_chat_in_panel(chat_page)
    pick_model(view, FAST)
    with refused_answers(chat_page, module_console):
        send(view, "a question typed with care")
        expect(view.locator(".jp-ChatExt-failure")).to_contain_text("still being written")
        # Refused now: a screen reader says so at once.
        expect(view.locator(".jp-ChatExt-failure")).to_have_attribute("role", "alert")
        # Nothing was stored: the question is back in the input, not lost with the error.
        expect(view.locator(INPUT)).to_have_value("a question typed with care")
        expect(view.locator(QUESTION)).to_have_count(0)
    view.locator(INPUT).press("Enter")
    expect(wait_answered(view)).to_contain_text("You said: a question typed with care")
    expect(view.locator(INPUT)).to_have_value("")
    assert [m["role"] for m in stored_branch(chat_lab, chat_id_of(view))] == ["user", "assistant"]


def test_a_refused_edit_opens_again_with_its_text(
    chat_page: Page, chat_lab: LabServer, module_console: ConsoleErrors
):
    view = new_chat_in_panel(chat_page)
    pick_model(view, FAST)
    send(view, "first version")
    wait_answered(view)
    edit_box = ".jp-ChatExt-editBox"
    with refused_answers(chat_page, module_console):
        question = view.locator(QUESTION).first
        question.locator('button[title^="Edit"]').click()
        question.locator(f"{edit_box} textarea").fill("second version, typed with care")
        question.locator(f"{edit_box} .jp-ChatExt-primaryButton").click()
        expect(view.locator(".jp-ChatExt-failure")).to_contain_text("still being written")
        # Nothing was stored: the edit is open again with what was typed, not lost.
        editor = view.locator(QUESTION).first.locator(f"{edit_box} textarea")
        expect(editor).to_have_value("second version, typed with care")
    view.locator(QUESTION).first.locator(f"{edit_box} .jp-ChatExt-primaryButton").click()
    expect(wait_answered(view)).to_contain_text("You said: second version, typed with care")
    branch = stored_branch(chat_lab, chat_id_of(view))
    assert branch[0]["content"] == "second version, typed with care"
    assert len(branch[0]["sibling_ids"]) == 2


def test_a_server_that_cannot_be_reached_is_said_to_be_one(
    chat_page: Page, chat_lab: LabServer, module_console: ConsoleErrors
):
    said_before = len(module_console.messages)
    away = "The Jupyter server could not be reached"
    # A question sent while the server is away says so, and goes back to the input.
    view = new_chat_in_panel(chat_page)
    pick_model(view, FAST)
    with server_away(chat_page, "**/chat-ext/api/chat/completions", method="POST"):
        send(view, "asked while away")
        expect(view.locator(".jp-ChatExt-failure")).to_contain_text(away)
        expect(view.locator(INPUT)).to_have_value("asked while away")
    view.locator(INPUT).press("Enter")
    expect(wait_answered(view)).to_contain_text("You said: asked while away")
    chat_id = chat_id_of(view)

    # A chat opened while the server is away says so; Retry shows it once the server is back.
    with server_away(chat_page, re.compile(rf"/chat-ext/api/chats/{chat_id}\b")):
        run_command(chat_page, "chat-ext:open-chat", {"chatId": chat_id, "where": "tab"})
        tab = chat_page.locator("#jp-main-dock-panel .jp-ChatExt-chatView").filter(
            has=chat_page.locator(".jp-ChatExt-failure")
        )
        expect(tab.locator(".jp-ChatExt-failure")).to_contain_text(away)
    tab.locator(".jp-ChatExt-failure button", has_text="Retry").click()
    tab_view = chat_page.locator(f'#jp-main-dock-panel [data-chat-id="{chat_id}"]')
    expect(tab_view.locator(ANSWER)).to_contain_text("You said: asked while away")
    module_console.forget_caused(said_before, 2, "ERR_CONNECTION_REFUSED")


def test_input_keys_history_and_default_model(chat_page: Page, chat_lab: LabServer):
    view = new_chat_in_panel(chat_page)
    pick_model(view, FAST)
    box = view.locator(INPUT)
    box.fill("line one")
    box.press("Shift+Enter")
    box.type("line two")
    assert box.input_value() == "line one\nline two"
    box.press("Enter")
    wait_answered(view)
    assert stored_branch(chat_lab, chat_id_of(view))[0]["content"] == "line one\nline two"

    # Up-arrow brings back the prompt sent; down-arrow returns to what was typed.
    box.fill("")
    box.press("ArrowUp")
    assert box.input_value() == "line one\nline two"
    box.press("ArrowDown")
    assert box.input_value() == ""

    # "Use ... for new chats" writes the default-model setting.
    view.locator(".jp-ChatExt-modelButton").click()
    view.locator(".jp-ChatExt-makeDefault").click()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        _, raw = chat_lab.request("GET", "lab/api/settings/jupyter-chat-ext:chats-panel")
        if json.loads(raw)["settings"].get("defaultModel") == FAST:
            break
        time.sleep(0.2)
    else:
        raise AssertionError("the default model was not saved")
    view.locator(".jp-ChatExt-modelSearch").press("Escape")


def test_reload_during_streaming_reattaches(chat_page: Page, chat_lab: LabServer):
    page = chat_page
    view = new_chat_in_panel(page)
    pick_model(view, SLOW)
    send(view, LONG_QUESTION)
    expect(view.locator(ANSWER)).to_contain_text("word3")
    chat_id = chat_id_of(view)
    # JupyterLab writes its saved state (which chat the panel shows) a moment later.
    page.wait_for_timeout(1500)

    reload_lab(page)
    view = page.locator(PANEL_VIEW)
    # The panel comes back on the same chat, following the answer still being written.
    expect(view.locator(".jp-ChatExt-chatViewBody")).to_have_attribute("data-chat-id", chat_id)
    expect(answer_with_status(view, "streaming")).to_have_count(1)
    answer = wait_answered(view)
    stored = stored_branch(chat_lab, chat_id)[-1]
    assert stored["meta"]["status"] == "done"
    shown = answer.locator(".jp-ChatExt-messageBody").inner_text()
    assert shown.count("word149") == 1 and shown.count("You said:") == 1
    expect(answer.locator(".jp-ChatExt-code pre")).to_have_text("print(6 * 7)")


def test_regenerate_works_when_the_model_list_comes_after_the_messages(
    chat_page: Page, chat_lab: LabServer
):
    page = chat_page
    view, chat_id = answered_chat(page, "asked before a reload")
    # JupyterLab writes its saved state (which chat the panel shows) a moment later.
    page.wait_for_timeout(1500)
    # After the reload the model list is held on its way, as from a slow server: the
    # chat's messages show first.
    models = "**/chat-ext/api/models*"
    held: list[Route] = []

    def hold(route: Route) -> None:
        held.append(route)

    page.route(models, hold)
    try:
        reload_lab(page)
        view = page.locator(PANEL_VIEW)
        expect(view.locator(".jp-ChatExt-chatViewBody")).to_have_attribute("data-chat-id", chat_id)
        expect(view.locator(ANSWER)).to_have_count(1)
        for _ in range(100):
            if held:
                break
            page.wait_for_timeout(50)
        assert held, "the model list was not asked for"
        for route in held:
            route.continue_()
    finally:
        page.unroute(models, hold)
    expect(view.locator(".jp-ChatExt-modelButton")).to_contain_text(FAST)
    # The list has come: the answer can be written again.
    regenerate = view.locator(ANSWER).last.locator('button[title^="Answer again"]')
    expect(regenerate).to_be_enabled()
    regenerate.click()
    expect(view.locator(ANSWER).last.locator(".jp-ChatExt-siblingPosition")).to_have_text("2/2")
    wait_answered(view)


def test_live_updates_from_another_tab_and_chats_in_tabs(
    browser: Browser, chat_page: Page, chat_lab: LabServer
):
    view, chat_id = answered_chat(chat_page, "hello from the first tab")

    other = chat_page.context.new_page()
    try:
        # A workspace of its own: two tabs on one workspace make JupyterLab redirect one.
        other.goto(f"{chat_lab.base_url}lab/workspaces/other?token={chat_lab.token}")
        other.wait_for_function("() => window.jupyterapp !== undefined")
        other.evaluate("() => window.jupyterapp.restored.then(() => null)")
        run_command(other, "chat-ext:open-chat", {"chatId": chat_id, "where": "tab"})
        tab_view = other.locator(f'.jp-ChatExt-chatViewBody[data-chat-id="{chat_id}"]')
        expect(tab_view.locator(ANSWER)).to_have_count(1)
        # A second chat in a second tab, at the same time.
        run_command(other, "chat-ext:new-chat", {"where": "tab"})
        expect(other.locator(".jp-ChatExt-chatView")).to_have_count(2)

        pick_model(view, SLOW)
        send(view, "streamed to the other tab too")
        # The other tab follows the answer through the events socket.
        expect(tab_view.locator(ANSWER)).to_have_count(2)
        expect(tab_view.locator(ANSWER).last).to_contain_text("You said: streamed")
        expect(tab_view.locator(f'{ANSWER}[data-status="done"]')).to_have_count(2)
        shown = tab_view.locator(ANSWER).last.locator(".jp-ChatExt-messageBody").inner_text()
        assert shown.count("You said:") == 1
        # The tab is named after the chat.
        expect(
            other.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current")
        ).not_to_have_text("Launcher")
    finally:
        other.close()

    # The panel's "open in a new tab" button moves the chat to the main area.
    view.locator('button[title="Open in a new tab"]').click()
    tab = chat_page.locator(f'.jp-ChatExt-chatViewBody[data-chat-id="{chat_id}"]')
    expect(tab).to_be_visible()
    expect(chat_page.locator(f"{PANEL} .jp-ChatExt-chatListWidget")).to_be_visible()


def test_what_was_typed_stays_when_the_panel_leaves_the_chat(chat_page: Page, chat_lab: LabServer):
    page = chat_page
    view, chat_id = answered_chat(page, "a chat to come back to")
    view.locator(INPUT).fill("a follow-up typed with care")
    # Back to the list, and into the chat again: the text is still there.
    view.locator('button[title="Back to the list of chats"]').click()
    expect(page.locator(f"{PANEL} .jp-ChatExt-chatListWidget")).to_be_visible()
    run_command(page, "chat-ext:open-chat", {"chatId": chat_id, "where": "panel"})
    view = page.locator(PANEL_VIEW)
    expect(view.locator(INPUT)).to_have_value("a follow-up typed with care")

    # Moved to a tab, the chat takes the text along.
    view.locator(INPUT).fill("a follow-up, finished in a tab")
    view.locator('button[title="Open in a new tab"]').click()
    tab = page.locator(
        f'.jp-ChatExt-chatView:has(.jp-ChatExt-chatViewBody[data-chat-id="{chat_id}"])'
    )
    expect(tab.locator(INPUT)).to_have_value("a follow-up, finished in a tab")
    tab.locator(INPUT).press("Enter")
    expect(wait_answered(tab, 2)).to_contain_text("You said: a follow-up, finished in a tab")


def test_first_run_without_models(chat_page: Page, chat_lab: LabServer, upstream):
    status, connections = chat_lab.api("GET", "connections")
    assert status == 200, connections
    items = connections["items"] if isinstance(connections, dict) else connections
    ids = [c["id"] for c in items]
    for connection_id in ids:
        chat_lab.api("PATCH", f"connections/{connection_id}", {"enabled": False})
    page = chat_page
    try:
        reload_lab(page)
        view = new_chat_in_panel(page)
        first_run = view.locator(".jp-ChatExt-firstRun")
        expect(first_run).to_contain_text("No model is available yet")
        expect(view.locator(INPUT)).to_be_disabled()
        expect(view.locator(INPUT)).to_have_attribute("placeholder", "No model is available yet.")
        page.screenshot(path=_artifact("chat-first-run.png"))
        # The owner is an admin: the button opens the admin screen.
        first_run.locator("button").click()
        expect(page.locator("#jp-chat-ext-admin")).to_be_visible()
    finally:
        for connection_id in ids:
            chat_lab.api("PATCH", f"connections/{connection_id}", {"enabled": True})
        reload_lab(page)


def test_screenshots_in_light_and_dark_themes(chat_page: Page, chat_lab: LabServer):
    page = chat_page
    run_command(page, "chat-ext:new-chat", {"where": "tab"})
    view = page.locator(".jp-ChatExt-chatView:visible").last
    pick_model(view, FAST)
    send(view, "Show me some Python and a formula")
    wait_answered(view)
    send(view, "And the list again, please")
    wait_answered(view, 2)
    # Once the server has named the chat (after its first answer), name it for the picture.
    expect(view.locator(".jp-ChatExt-chatTitle")).not_to_have_text("New Chat")
    chat_lab.api("PATCH", f"chats/{chat_id_of(view)}", {"title": "Python and a formula"})
    expect(view.locator(".jp-ChatExt-chatTitle")).to_have_text("Python and a formula")
    view.locator(ANSWER).first.hover()
    page.screenshot(path=_artifact("chat-tab-light.png"))
    panel = new_chat_in_panel(page)
    pick_model(panel, FAST)
    send(panel, "Print the answer to everything")
    wait_answered(panel)
    expect(panel.locator(".jp-ChatExt-chatTitle")).not_to_have_text("New Chat")
    chat_lab.api("PATCH", f"chats/{chat_id_of(panel)}", {"title": "The answer to everything"})
    expect(panel.locator(".jp-ChatExt-chatTitle")).to_have_text("The answer to everything")
    page.locator(PANEL).screenshot(path=_artifact("chat-panel-light.png"))
    try:
        change_theme(page, "JupyterLab Dark", light=False)
        page.screenshot(path=_artifact("chat-tab-dark.png"))
        page.locator(PANEL).screenshot(path=_artifact("chat-panel-dark.png"))
    finally:
        change_theme(page, "JupyterLab Light", light=True)


def test_no_console_errors(chat_page: Page, module_console: ConsoleErrors):
    # Runs last: by now every test above has driven the module's page.
    assert module_console.messages == []


def _artifact(name: str) -> str:
    from lab_process import ARTIFACTS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return str(ARTIFACTS / name)
