"""The chat list in a real JupyterLab: groups, search, tags, archive, delete, folders, menus."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from chats_ui import BACK_TO_LIST, PANEL, change_theme, open_chats_panel, open_lab, unique
from lab_process import LabServer
from list_ui import (
    ARCHIVED,
    DIALOG,
    GROUP_LABELS,
    NEW_FOLDER,
    SEARCH,
    TAG_FILTER,
    answer_dialog,
    chat_item,
    chat_menu,
    choose,
    folder_menu,
    folder_row,
    group_holding,
    widen_left_area,
)
from own_lab import module_lab
from page_console import ConsoleErrors
from playwright.sync_api import Page, expect

lab_server = module_lab("lab-chat-list.log")


def import_chat(lab: LabServer, title: str, days_ago: float, text: str = "Hello") -> dict:
    """A chat last changed `days_ago` days ago, through the import route that keeps times."""
    when = (datetime.now(UTC) - timedelta(days=days_ago)).isoformat()
    message = {
        "id": "m1",
        "parent_id": None,
        "role": "user",
        "content": text,
        "created_at": when,
        "updated_at": when,
    }
    chat = {
        "id": "c1",
        "title": title,
        "created_at": when,
        "updated_at": when,
        "current_message_id": "m1",
        "messages": [message],
    }
    status, body = lab.api(
        "POST", "chats/import", {"format": "jupyter-chat-ext", "version": 1, "chats": [chat]}
    )
    assert status == 201, body
    return body["items"][0]


def stored(lab: LabServer, chat_id: str) -> dict:
    status, chat = lab.api("GET", f"chats/{chat_id}")
    assert status == 200, chat
    return chat


def test_chats_are_grouped_by_date_with_pinned_first(
    page: Page, lab_server: LabServer, artifacts: Path
):
    # Runs first, on the module's fresh server: these chats are also the screenshots'.
    titles = {
        "today": "Fourier series intuition",
        "week": "Regex for ISO dates",
        "month": "Summarise the paper draft",
        "old": "Setting up conda environments",
    }
    import_chat(lab_server, titles["week"], 3)
    import_chat(lab_server, titles["month"], 20)
    old = import_chat(lab_server, titles["old"], 120)
    lab_server.create_chat("Fix the pandas groupby warning")
    lab_server.api("POST", "chats", {"title": titles["today"], "tags": ["math"]})
    pinned = lab_server.create_chat("Project plan")
    assert lab_server.api("PATCH", f"chats/{pinned['id']}", {"pinned": True})[0] == 200
    _, research = lab_server.api("POST", "folders", {"name": "Research"})
    lab_server.api("POST", "folders", {"name": "Papers", "parent_id": research["id"]})
    lab_server.api("POST", "chats", {"title": "Related work notes", "folder_id": research["id"]})

    open_lab(page, lab_server)
    open_chats_panel(page, lab_server)

    month = datetime.fromisoformat(old["updated_at"]).astimezone()
    labels = page.locator(GROUP_LABELS)
    expect(labels).to_have_count(5)
    shown = [label.upper() for label in labels.all_inner_texts()]
    assert shown[:4] == ["PINNED", "TODAY", "PREVIOUS 7 DAYS", "PREVIOUS 30 DAYS"]
    assert month.strftime("%B").upper() in shown[4]
    for key, title in titles.items():
        group = group_holding(page, title)
        expect(group).to_have_count(1)
        if key != "old":
            expect(group).to_have_attribute("data-group", key)
    expect(group_holding(page, "Project plan")).to_have_attribute("data-group", "pinned")

    folder_row(page, "Research").locator(".jp-ChatExt-folder-toggle").click()
    expect(chat_item(page, "Related work notes")).to_be_visible()
    widen_left_area(page, 90)
    page.locator(PANEL).screenshot(path=artifacts / "chat-list-light.png")
    try:
        change_theme(page, "JupyterLab Dark", light=False)
        page.locator(PANEL).screenshot(path=artifacts / "chat-list-dark.png")
    finally:
        change_theme(page, "JupyterLab Light", light=True)


def test_rename_from_the_menu(page: Page, lab_server: LabServer):
    chat = lab_server.create_chat(unique("Before rename"))
    open_chats_panel(page, lab_server)

    chat_menu(page, chat["title"], "Rename…")
    renamed = unique("After rename")
    answer_dialog(page, renamed)

    expect(chat_item(page, renamed)).to_have_count(1)
    expect(chat_item(page, chat["title"])).to_have_count(0)
    assert stored(lab_server, chat["id"])["title"] == renamed


def test_search_finds_message_text_on_the_server(page: Page, lab_server: LabServer):
    word = unique("zebracorn").replace(" ", "")
    found = import_chat(lab_server, unique("Plain title"), 1, text=f"notes about {word} here")
    other = lab_server.create_chat(unique("Unrelated"))
    open_chats_panel(page, lab_server)

    page.locator(SEARCH).fill(word)
    expect(chat_item(page, found["title"])).to_have_count(1)
    expect(chat_item(page, other["title"])).to_have_count(0)

    page.locator(SEARCH).fill(unique("nothing-matches-this"))
    expect(page.locator(f"{PANEL} .jp-ChatExt-empty")).to_have_text("No chats match.")

    page.locator(SEARCH).fill("")
    expect(chat_item(page, other["title"])).to_have_count(1)


def test_long_tags_leave_room_for_the_title(page: Page, lab_server: LabServer):
    tags = ["notebook:quarterly-report.ipynb", "finance-and-accounting"]
    body = {"title": unique("Quarterly revenue analysis"), "tags": tags}
    status, chat = lab_server.api("POST", "chats", body)
    assert status == 201, chat
    open_chats_panel(page, lab_server)
    row = chat_item(page, chat["title"])
    expect(row.locator(".jp-ChatExt-tag")).to_have_count(2)
    title = row.locator(".jp-ChatExt-chatItem-title").bounding_box()
    chips = [box for box in map(lambda t: t.bounding_box(), row.locator(".jp-ChatExt-tag").all())]
    assert title is not None and all(chips)
    # The title keeps room for its first words; the chips give way.
    font = page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")
    assert title["width"] >= 5 * font, (title, chips)
    assert all(box["width"] <= 100 for box in chips), chips


def test_tags_that_do_not_fit_a_narrow_panel_stay_off_the_time(page: Page, lab_server: LabServer):
    tags = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta"]
    status, chat = lab_server.api("POST", "chats", {"title": unique("Many tags"), "tags": tags})
    assert status == 201, chat
    open_chats_panel(page, lab_server)
    row = chat_item(page, chat["title"])
    expect(row.locator(".jp-ChatExt-tag")).to_have_count(len(tags))
    widen_left_area(page, -200)
    try:
        # What is drawn at the time's place is the time, with no tag chip under it.
        under_time = row.locator(".jp-ChatExt-chatItem-time").evaluate(
            """time => {
                const box = time.getBoundingClientRect();
                const found = new Set();
                for (let x = box.left + 1; x < box.right; x += 4) {
                    const y = box.top + box.height / 2;
                    for (const element of document.elementsFromPoint(x, y)) {
                        if (element.closest('.jp-ChatExt-tag')) {
                            found.add(element.closest('.jp-ChatExt-tag').textContent);
                        }
                    }
                }
                return [...found];
            }"""
        )
        assert under_time == [], under_time
    finally:
        widen_left_area(page, 200)


def test_tag_filter_by_tag_and_untag(page: Page, lab_server: LabServer):
    tagged = lab_server.create_chat(unique("Physics notes"))
    untagged = lab_server.create_chat(unique("Cooking notes"))
    open_chats_panel(page, lab_server)

    chat_menu(page, tagged["title"], "Tags", "Add Tag…")
    answer_dialog(page, "physics")
    expect(chat_item(page, tagged["title"]).locator(".jp-ChatExt-tag")).to_have_text("physics")
    assert stored(lab_server, tagged["id"])["tags"] == ["physics"]

    expect(page.locator(f"{TAG_FILTER} option[value='physics']")).to_have_count(1)
    page.locator(TAG_FILTER).select_option("physics")
    expect(chat_item(page, tagged["title"])).to_have_count(1)
    expect(chat_item(page, untagged["title"])).to_have_count(0)
    page.locator(TAG_FILTER).select_option("")
    expect(chat_item(page, untagged["title"])).to_have_count(1)

    chat_menu(page, tagged["title"], "Tags", "Remove Tag “physics”")
    expect(chat_item(page, tagged["title"]).locator(".jp-ChatExt-tag")).to_have_count(0)
    assert stored(lab_server, tagged["id"])["tags"] == []


def test_archive_shows_in_the_archived_view_and_unarchive(page: Page, lab_server: LabServer):
    chat = lab_server.create_chat(unique("To archive"))
    open_chats_panel(page, lab_server)

    chat_menu(page, chat["title"], "Archive")
    expect(chat_item(page, chat["title"])).to_have_count(0)
    assert stored(lab_server, chat["id"])["archived"] is True

    page.locator(ARCHIVED).click()
    expect(page.locator(ARCHIVED)).to_have_attribute("aria-pressed", "true")
    expect(chat_item(page, chat["title"])).to_have_count(1)
    chat_menu(page, chat["title"], "Unarchive")
    expect(chat_item(page, chat["title"])).to_have_count(0)

    page.locator(ARCHIVED).click()
    expect(chat_item(page, chat["title"])).to_have_count(1)
    assert stored(lab_server, chat["id"])["archived"] is False


def test_pin_and_unpin(page: Page, lab_server: LabServer):
    chat = lab_server.create_chat(unique("To pin"))
    open_chats_panel(page, lab_server)
    group = group_holding(page, chat["title"])

    chat_menu(page, chat["title"], "Pin")
    expect(group).to_have_attribute("data-group", "pinned")
    chat_menu(page, chat["title"], "Unpin")
    expect(group).to_have_attribute("data-group", "today")


def test_delete_asks_first(page: Page, lab_server: LabServer):
    chat = lab_server.create_chat(unique("To delete"))
    open_chats_panel(page, lab_server)

    chat_menu(page, chat["title"], "Delete…")
    expect(page.locator(DIALOG)).to_contain_text(chat["title"])
    answer_dialog(page, accept=False)
    expect(chat_item(page, chat["title"])).to_have_count(1)

    chat_menu(page, chat["title"], "Delete…")
    answer_dialog(page)
    expect(chat_item(page, chat["title"])).to_have_count(0)
    assert lab_server.api("GET", f"chats/{chat['id']}")[0] == 404


def test_clone_and_export(page: Page, lab_server: LabServer, tmp_path: Path):
    chat = import_chat(lab_server, unique("Exported"), 0.01, text="An exported line")
    open_chats_panel(page, lab_server)

    chat_menu(page, chat["title"], "Clone")
    # The clone opens in the panel, where the list was.
    view = page.locator(f"{PANEL} .jp-ChatExt-chatView")
    expect(view.locator(".jp-ChatExt-message-user")).to_contain_text("An exported line")
    clone_id = view.locator(".jp-ChatExt-chatViewBody").get_attribute("data-chat-id")
    clone = stored(lab_server, clone_id or "")
    assert clone["title"] == f"Clone of {chat['title']}" and clone["id"] != chat["id"]
    page.locator(BACK_TO_LIST).click()
    expect(chat_item(page, clone["title"])).to_have_count(1)

    with page.expect_download() as info:
        chat_menu(page, chat["title"], "Export", "JSON (.json)")
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    assert path.suffix == ".json"
    document = json.loads(path.read_text())
    assert document["chats"][0]["messages"][0]["content"] == "An exported line"

    with page.expect_download() as info:
        chat_menu(page, chat["title"], "Export", "Markdown (.md)")
    assert info.value.suggested_filename.endswith(".md")
    info.value.save_as(tmp_path / "chat.md")
    assert "An exported line" in (tmp_path / "chat.md").read_text()


def test_a_blank_name_cannot_be_saved(page: Page, lab_server: LabServer):
    chat = lab_server.create_chat(unique("Named"))
    open_chats_panel(page, lab_server)
    dialog = page.locator(DIALOG)
    save = dialog.locator("button.jp-mod-accept")

    chat_menu(page, chat["title"], "Rename…")
    name = dialog.locator("input")
    name.fill("   ")
    expect(save).to_be_disabled()
    name.fill("Renamed")
    expect(save).to_be_enabled()
    dialog.locator("button.jp-mod-reject").click()

    # A new folder starts with no name: Save waits for one.
    page.locator(NEW_FOLDER).click()
    expect(save).to_be_disabled()
    name.press("Enter")
    expect(dialog).to_be_visible()
    answer_dialog(page, unique("Named folder"))


def test_folders_create_nest_drag_rename_delete(page: Page, lab_server: LabServer):
    chat = lab_server.create_chat(unique("Filed chat"))
    open_chats_panel(page, lab_server)
    name = unique("Project")

    page.locator(NEW_FOLDER).click()
    answer_dialog(page, name)
    expect(folder_row(page, name)).to_have_count(1)
    folder = next(f for f in lab_server.api("GET", "folders")[1]["items"] if f["name"] == name)

    # Drag the chat onto the folder: it leaves the top level and shows inside the folder.
    chat_item(page, chat["title"]).drag_to(folder_row(page, name))
    folder_node = page.locator(f"{PANEL} .jp-ChatExt-folder[data-folder-id='{folder['id']}']")
    expect(folder_node.locator(".jp-ChatExt-chatItem-title")).to_have_text([chat["title"]])
    assert stored(lab_server, chat["id"])["folder_id"] == folder["id"]
    outside = group_holding(page, chat["title"])
    expect(outside).to_have_count(0)

    # A subfolder, made from the folder's menu, then renamed.
    child = unique("Subfolder")
    folder_menu(page, name, "New Subfolder…")
    answer_dialog(page, child)
    child_node = folder_node.locator(".jp-ChatExt-folder", has_text=child)
    expect(child_node).to_have_count(1)
    renamed = unique("Renamed subfolder")
    folder_menu(page, child, "Rename…")
    answer_dialog(page, renamed)
    expect(folder_row(page, renamed)).to_have_count(1)
    folders = {f["name"]: f for f in lab_server.api("GET", "folders")[1]["items"]}
    assert folders[renamed]["parent_id"] == folder["id"]

    # Deleting the folder keeps its chat, back at the top level.
    folder_menu(page, name, "Delete…")
    answer_dialog(page)
    expect(folder_row(page, name)).to_have_count(0)
    expect(folder_row(page, renamed)).to_have_count(0)
    expect(outside).to_have_count(1)
    assert stored(lab_server, chat["id"])["folder_id"] is None


def test_a_chat_dropped_into_an_open_folder_is_filed_there(page: Page, lab_server: LabServer):
    first = lab_server.create_chat(unique("Dropped on the hint"))
    second = lab_server.create_chat(unique("Dropped on a chat"))
    status, folder = lab_server.api("POST", "folders", {"name": unique("Open folder")})
    assert status == 201, folder
    open_chats_panel(page, lab_server)
    folder_row(page, folder["name"]).locator(".jp-ChatExt-folder-toggle").click()
    node = page.locator(f"{PANEL} .jp-ChatExt-folder[data-folder-id='{folder['id']}']")
    hint = node.locator(".jp-ChatExt-folder-empty")
    expect(hint).to_have_text("No chats in this folder. Drag one here.")

    # Where the hint says: onto the open folder's contents, not only its name.
    chat_item(page, first["title"]).drag_to(hint)
    expect(node.locator(".jp-ChatExt-chatItem-title")).to_have_text([first["title"]])
    assert stored(lab_server, first["id"])["folder_id"] == folder["id"]

    # Onto a chat the open folder holds.
    chat_item(page, second["title"]).drag_to(node.locator(".jp-ChatExt-chatItem").first)
    expect(node.locator(".jp-ChatExt-chatItem-title")).to_have_count(2)
    assert stored(lab_server, second["id"])["folder_id"] == folder["id"]


def test_move_to_folder_from_the_menu(page: Page, lab_server: LabServer):
    chat = lab_server.create_chat(unique("Moved by menu"))
    status, folder = lab_server.api("POST", "folders", {"name": unique("Inbox")})
    assert status == 201
    open_chats_panel(page, lab_server)
    expect(folder_row(page, folder["name"])).to_have_count(1)

    chat_menu(page, chat["title"], "Move to Folder", folder["name"])
    expect(
        page.locator(f"{PANEL} .jp-ChatExt-folder[data-folder-id='{folder['id']}']").locator(
            ".jp-ChatExt-chatItem-title", has_text=chat["title"]
        )
    ).to_have_count(1)
    assert stored(lab_server, chat["id"])["folder_id"] == folder["id"]


def test_menu_opens_from_the_keyboard(page: Page, lab_server: LabServer):
    chat = lab_server.create_chat(unique("Keyboard"))
    open_chats_panel(page, lab_server)

    opener = chat_item(page, chat["title"]).locator(".jp-ChatExt-chatItem-open")
    opener.focus()
    page.keyboard.press("Shift+F10")
    expect(page.locator(".lm-Menu")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator(".lm-Menu")).to_have_count(0)
    expect(opener).to_be_focused()

    page.keyboard.press("Tab")
    expect(chat_item(page, chat["title"]).locator(".jp-ChatExt-chatItem-menu")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".lm-Menu")).to_be_visible()
    choose(page, "Rename…")
    answer_dialog(page, accept=False)


def test_f2_renames_and_delete_deletes_with_the_focus_kept_in_the_list(
    page: Page, lab_server: LabServer
):
    below = lab_server.create_chat(unique("Stays below"))
    chat = lab_server.create_chat(unique("Keys"))
    open_chats_panel(page, lab_server)

    def opener(title: str):
        return chat_item(page, title).locator(".jp-ChatExt-chatItem-open")

    opener(chat["title"]).focus()
    page.keyboard.press("F2")
    expect(page.locator(DIALOG)).to_contain_text("Rename Chat")
    renamed = unique("Renamed by F2")
    page.locator(f"{DIALOG} input").fill(renamed)
    page.keyboard.press("Enter")
    expect(page.locator(DIALOG)).to_have_count(0)
    expect(chat_item(page, renamed)).to_have_count(1)
    assert stored(lab_server, chat["id"])["title"] == renamed
    expect(opener(renamed)).to_be_focused()

    # Delete asks first; Cancel is the default, so Enter keeps the chat.
    page.keyboard.press("Delete")
    expect(page.locator(DIALOG)).to_contain_text(renamed)
    page.keyboard.press("Enter")
    expect(page.locator(DIALOG)).to_have_count(0)
    expect(opener(renamed)).to_be_focused()

    page.keyboard.press("Delete")
    answer_dialog(page)
    expect(chat_item(page, renamed)).to_have_count(0)
    assert lab_server.api("GET", f"chats/{chat['id']}")[0] == 404
    # The focus goes to the chat that came next, not to the page.
    expect(opener(below["title"])).to_be_focused()

    # A chat pinned from the keyboard is drawn anew in the Pinned group: it keeps the focus.
    page.keyboard.press("Shift+F10")
    choose(page, "Pin")
    expect(group_holding(page, below["title"])).to_have_attribute("data-group", "pinned")
    expect(opener(below["title"])).to_be_focused()
    page.keyboard.press("Shift+F10")
    choose(page, "Unpin")
    expect(group_holding(page, below["title"])).to_have_attribute("data-group", "today")
    expect(opener(below["title"])).to_be_focused()


def test_no_console_errors_in_the_list(
    page: Page, lab_server: LabServer, console_errors: ConsoleErrors
):
    open_chats_panel(page, lab_server)
    assert console_errors.messages == []
