"""A failed answer's error, in JupyterLab's light and dark themes, keeps the contrast WCAG AA
asks of text (4.5:1), its Retry button too."""

from __future__ import annotations

import pytest
from chat_view_ui import FAILING, answer_with_status, new_chat_in_panel, pick_model, send
from chats_ui import change_theme
from page_console import ConsoleErrors
from playwright.sync_api import Locator, Page, expect

ERROR = ".jp-ChatExt-messageError"

# The contrast of an element's text with what is drawn behind it: its own background and
# those of its ancestors, blended up to the first opaque one (over white, as a page is).
CONTRAST = """element => {
  const rgba = color => {
    const [r, g, b, a = 1] = color.match(/[\\d.]+/g).map(Number);
    return [r, g, b, a];
  };
  const luminance = ([r, g, b]) => {
    const linear = v => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
  };
  const layers = [];
  for (let node = element; node; node = node.parentElement) {
    const layer = rgba(getComputedStyle(node).backgroundColor);
    if (layer[3] > 0) layers.push(layer);
    if (layer[3] >= 1) break;
  }
  let behind = [255, 255, 255];
  for (const [r, g, b, a] of layers.reverse()) {
    behind = behind.map((v, i) => [r, g, b][i] * a + v * (1 - a));
  }
  const text = rgba(getComputedStyle(element).color);
  const fore = text.slice(0, 3).map((v, i) => v * text[3] + behind[i] * (1 - text[3]));
  const [light, dark] = [luminance(fore), luminance(behind)].sort((x, y) => y - x);
  return (light + 0.05) / (dark + 0.05);
}"""


def contrast(element: Locator) -> float:
    return element.evaluate(CONTRAST)


@pytest.mark.parametrize("theme, light", [("JupyterLab Light", True), ("JupyterLab Dark", False)])
def test_a_failed_answer_reads_well_in_either_theme(chat_page: Page, theme: str, light: bool):
    view = new_chat_in_panel(chat_page)
    pick_model(view, FAILING)
    send(view, "this will fail")
    error = answer_with_status(view, "error").locator(ERROR)
    expect(error).to_contain_text("503")
    try:
        change_theme(chat_page, theme, light=light)
        for part in (error.locator("span").first, error.locator("button", has_text="Retry")):
            assert contrast(part) >= 4.5, (theme, part.inner_text(), contrast(part))
    finally:
        change_theme(chat_page, "JupyterLab Light", light=True)


def test_no_console_errors(chat_page: Page, module_console: ConsoleErrors):
    assert module_console.messages == []
