"""The chat list's own menu, on every chat at once: download all, import a file (split when
large), archive all and delete all, each asking first where nothing could undo it."""

from __future__ import annotations

import json
from pathlib import Path

from admin_ui import run_from_palette
from chats_ui import PANEL, open_chats_panel, unique
from lab_process import LabServer
from list_ui import ARCHIVED, DIALOG, answer_dialog, chat_item, choose
from own_lab import module_lab
from page_console import ConsoleErrors
from playwright.sync_api import Page, expect

# Its own server: these tests delete every chat there is.
lab_server = module_lab("lab-chat-list-all.log")

LIST_MENU = f"{PANEL} .jp-ChatExt-listMenuButton"
NOTICE = ".jp-Notification-Toast-success"


def list_menu(page: Page, *labels: str) -> None:
    page.locator(LIST_MENU).click()
    choose(page, *labels)


def titles(lab: LabServer, **params: object) -> set[str]:
    status, page = lab.api("GET", "chats?" + "&".join(f"{k}={v}" for k, v in params.items()))
    assert status == 200, page
    return {c["title"] for c in page["items"]}


def delete_everything(lab: LabServer) -> None:
    status, body = lab.api("POST", "chats/delete-all", {"confirm": "delete all chats"})
    assert status == 200, body


def import_file(page: Page, path: Path) -> None:
    with page.expect_file_chooser() as chooser:
        list_menu(page, "Import Chats…")
    chooser.value.set_files(str(path))


def test_download_all_then_import_brings_every_chat_back(
    page: Page, lab_server: LabServer, tmp_path: Path
):
    delete_everything(lab_server)
    made = {unique(f"Kept {i}") for i in range(3)}
    for title in made:
        lab_server.api(
            "POST", "chats", {"title": title, "messages": [{"role": "user", "content": title}]}
        )
    open_chats_panel(page, lab_server)
    for title in made:
        expect(chat_item(page, title)).to_have_count(1)

    with page.expect_download() as info:
        list_menu(page, "Download All Chats")
    assert info.value.suggested_filename.endswith(".json")
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    document = json.loads(path.read_text())
    assert document["format"] == "jupyter-chat-ext"
    assert {c["title"] for c in document["chats"]} == made

    delete_everything(lab_server)
    for title in made:
        expect(chat_item(page, title)).to_have_count(0)
    import_file(page, path)
    expect(page.locator(NOTICE).filter(has_text="Imported 3 chats.")).to_be_visible()
    for title in made:
        expect(chat_item(page, title)).to_have_count(1)
    assert titles(lab_server) == made


def big_history(tmp_path: Path, count: int = 12) -> tuple[Path, list[dict]]:
    """A file of ``count`` chats of 1 MB: more than one request's worth (8 MB), as years of
    chats are; and its chats, to spoil one."""
    text = "word " * 200_000
    chats = [
        {
            "id": f"c{i}",
            "title": f"Big chat {i}",
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z",
            "messages": [
                {
                    "id": "m1",
                    "parent_id": None,
                    "role": "user",
                    "content": text,
                    "created_at": "2026-01-01T00:00:00Z",
                    "updated_at": "2026-01-01T00:00:00Z",
                }
            ],
        }
        for i in range(count)
    ]
    return tmp_path / "history.json", chats


def write_history(path: Path, chats: list[dict]) -> None:
    path.write_text(json.dumps({"format": "jupyter-chat-ext", "version": 1, "chats": chats}))


def import_posts(page: Page) -> list[tuple[str, int]]:
    """Each import request the page sends, as it goes: (its path's end, its size)."""
    posts: list[tuple[str, int]] = []

    def seen(r) -> None:
        if r.method == "POST" and "/chats/import" in r.url:
            posts.append((r.url.rsplit("/chats/", 1)[1], len(r.post_data_buffer or b"")))

    page.on("request", seen)
    return posts


def test_a_file_larger_than_a_request_is_imported_in_parts(
    page: Page, lab_server: LabServer, tmp_path: Path
):
    delete_everything(lab_server)
    path, chats = big_history(tmp_path)
    write_history(path, chats)
    open_chats_panel(page, lab_server)
    posts = import_posts(page)
    import_file(page, path)
    expect(page.locator(NOTICE).filter(has_text="Imported 12 chats.")).to_be_visible()
    # Each part is checked, then each is imported.
    assert [p for p, _ in posts] == ["import/check"] * 2 + ["import"] * 2, posts
    assert all(size < 9 * 2**20 for _, size in posts), posts
    assert titles(lab_server, limit=50) == {f"Big chat {i}" for i in range(12)}


def test_a_part_the_server_refuses_leaves_nothing_of_the_others(
    page: Page, lab_server: LabServer, tmp_path: Path, console_errors: ConsoleErrors
):
    delete_everything(lab_server)
    logged_before = len(console_errors.messages)
    path, chats = big_history(tmp_path)
    chats[-1]["messages"][0]["role"] = "wizard"  # in the second part
    write_history(path, chats)
    open_chats_panel(page, lab_server)
    posts = import_posts(page)
    import_file(page, path)
    dialog = page.locator(DIALOG)
    expect(dialog).to_contain_text("Import Failed")
    expect(dialog).to_contain_text("Not a valid jupyter-chat-ext export")
    answer_dialog(page, accept=False)
    assert [p for p, _ in posts] == ["import/check"] * 2, posts
    assert titles(lab_server) == set()
    console_errors.forget_caused(logged_before, 1, "status of 422")


def test_a_file_that_is_not_chats_is_refused_and_nothing_is_imported(
    page: Page, lab_server: LabServer, tmp_path: Path, console_errors: ConsoleErrors
):
    delete_everything(lab_server)
    logged_before = len(console_errors.messages)
    open_chats_panel(page, lab_server)
    broken = tmp_path / "notes.json"
    broken.write_text("{not json")
    import_file(page, broken)
    dialog = page.locator(DIALOG)
    expect(dialog).to_contain_text("Import Failed")
    expect(dialog).to_contain_text("“notes.json” is not a JSON file")
    answer_dialog(page, accept=False)  # an error's only button: Close

    other = tmp_path / "settings.json"
    other.write_text(json.dumps({"theme": "dark"}))
    import_file(page, other)
    expect(dialog).to_contain_text("Import Failed")
    answer_dialog(page, accept=False)
    assert titles(lab_server) == set()
    # The browser logs the request the server refused, which was this test's point.
    console_errors.forget_caused(logged_before, 1, "status of 400", "status of 422")


def test_the_command_palette_runs_every_chat_actions(page: Page, lab_server: LabServer):
    delete_everything(lab_server)
    made = lab_server.create_chat(unique("Palette"))["title"]
    open_chats_panel(page, lab_server)
    expect(chat_item(page, made)).to_have_count(1)

    with page.expect_download() as info:
        run_from_palette(page, "Download All Chats", "chat-ext:download-all-chats")
    assert info.value.suggested_filename.endswith(".json")

    run_from_palette(page, "Archive All Chats", "chat-ext:archive-all-chats")
    expect(page.locator(DIALOG)).to_contain_text("Archive every chat?")
    answer_dialog(page)
    expect(chat_item(page, made)).to_have_count(0)
    assert titles(lab_server, archived="true") == {made}


def asked_then_done(page: Page, label: str, question: str, shown: str) -> None:
    """Chooses `label`, which asks `question`: cancelled, `shown` stays; then accepted."""
    list_menu(page, label)
    expect(page.locator(DIALOG)).to_contain_text(question)
    answer_dialog(page, accept=False)
    expect(chat_item(page, shown)).to_have_count(1)
    list_menu(page, label)
    answer_dialog(page)


def test_archive_all_and_delete_all_ask_first(page: Page, lab_server: LabServer):
    delete_everything(lab_server)
    made = [lab_server.create_chat(unique(f"Every {i}"))["title"] for i in range(2)]
    open_chats_panel(page, lab_server)

    asked_then_done(page, "Archive All Chats…", "Archive every chat?", made[0])
    for title in made:
        expect(chat_item(page, title)).to_have_count(0)
    assert titles(lab_server, archived="true") == set(made)

    page.locator(ARCHIVED).click()
    for title in made:
        expect(chat_item(page, title)).to_have_count(1)
    asked_then_done(page, "Delete All Chats…", "cannot be undone", made[0])
    for title in made:
        expect(chat_item(page, title)).to_have_count(0)
    assert titles(lab_server, archived="true") == set()


def test_the_list_menu_opens_from_the_keyboard_and_logs_no_errors(
    page: Page, lab_server: LabServer, console_errors: ConsoleErrors
):
    open_chats_panel(page, lab_server)
    button = page.locator(LIST_MENU)
    expect(button).to_have_attribute("aria-label", "More actions")
    button.focus()
    page.keyboard.press("Enter")
    menu = page.locator(".lm-Menu.jp-ChatExt-listMenu")
    expect(menu).to_be_visible()
    expect(menu.locator(".lm-Menu-itemLabel")).to_have_text(
        ["Import Chats…", "Download All Chats", "", "Archive All Chats…", "Delete All Chats…"]
    )
    page.keyboard.press("Escape")
    expect(menu).to_have_count(0)
    expect(button).to_be_focused()
    assert console_errors.messages == []
