"""The chat view in a real browser: streaming cost, opening a long chat, JavaScript at start.

    python tests/bench/bench_ui.py [--tokens 4000] [--rate 100] [--messages 1000]

Starts a fake model server and JupyterLab (as the browser tests do) and headless Chromium,
then measures, against the targets:

- a long answer (``--tokens`` words, one per chunk, ``--rate`` chunks a second) streamed into
  a chat tab: the longest main-thread task (PerformanceObserver ``longtask`` entries, which
  exist only for tasks over 50 ms) and the share of the time the main thread was busy
  (the renderer's ``TaskDuration`` from the DevTools protocol over the wall time);
- a chat of ``--messages`` messages opened in a tab: the time until its latest message is
  rendered (Markdown, not the plain-text placeholder) at the bottom of the view;
- the extension's JavaScript loaded at start (remote entry and eager chunks), gzipped.

A report: it always exits 0.
"""

from __future__ import annotations

import argparse
import gzip
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "browser")]

from chats_ui import open_lab  # noqa: E402
from lab_process import running_lab  # noqa: E402
from playwright.sync_api import Page, sync_playwright  # noqa: E402

from jupyter_chat_ext.testing.upstream import UpstreamThread  # noqa: E402

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
STATIC = "/lab/extensions/jupyter-chat-ext/static/"
LONG_TASK_TARGET_MS = 50
BUSY_TARGET = 0.30
OPEN_TARGET_MS = 500
START_JS_TARGET_KB = 150

PARAGRAPH = (
    "Streaming answers arrive a few characters at a time, and the view must keep up "
    "without re-rendering everything it has already shown, so each finished block is "
    "rendered once and only the block being written is rendered again."
)
CODE = (
    "```python\ndef mean(values):\n    return sum(values) / len(values)\n\n"
    "print(mean([1, 2, 3]))\n```"
)
MATH = "The variance is $\\sigma^2 = \\frac{1}{n}\\sum_i (x_i - \\mu)^2$ for each sample."
LIST = "- a first point about the data\n- a second point, with `inline code`\n- a third point"


def long_answer(words: int) -> str:
    """Markdown of about `words` words: paragraphs, code, math, lists, headings."""
    parts: list[str] = []
    count = 0
    section = 0
    while count < words:
        section += 1
        for block in (f"## Part {section}", PARAGRAPH, CODE, MATH, LIST, PARAGRAPH):
            parts.append(block)
            count += len(block.split())
    return "\n\n".join(parts)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def measure_start_js(page: Page, lab) -> tuple[float, list[str]]:
    """Gzipped size (KB) of the extension's JavaScript loaded by a fresh page, and its files."""
    responses = []

    def on_response(response):
        # Read later: a blocking call inside an event handler would deadlock.
        if STATIC in response.url and response.url.split("?")[0].endswith(".js"):
            responses.append(response)

    page.on("response", on_response)
    open_lab(page, lab)
    page.wait_for_timeout(2000)  # whatever loads after start-up settles
    page.remove_listener("response", on_response)
    bodies = {response.url: response.body() for response in responses}
    total = sum(len(gzip.compress(body, 9)) for body in bodies.values()) / 1024
    return total, sorted(url.rsplit("/", 1)[1].split("?")[0] for url in bodies)


def run_command(page: Page, command: str, args: dict) -> None:
    page.evaluate(
        "([c, a]) => window.jupyterapp.commands.execute(c, a).then(() => null)", [command, args]
    )


def measure_stream(page: Page, model: str, words: int) -> dict[str, float]:
    run_command(page, "chat-ext:new-chat", {"where": "tab"})
    view = page.locator(".jp-ChatExt-chatView:visible").last
    view.locator(".jp-ChatExt-modelButton").click()
    view.locator(".jp-ChatExt-modelSearch").fill(model)
    view.locator(".jp-ChatExt-modelSearch").press("Enter")
    view.locator("textarea.jp-ChatExt-input").wait_for()
    page.wait_for_timeout(500)

    page.evaluate(
        """() => {
            window.__longTasks = [];
            new PerformanceObserver(list => {
                for (const entry of list.getEntries()) window.__longTasks.push(entry.duration);
            }).observe({ type: 'longtask' });
        }"""
    )
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")

    def task_seconds() -> float:
        metrics = cdp.send("Performance.getMetrics")["metrics"]
        return next(m["value"] for m in metrics if m["name"] == "TaskDuration")

    box = view.locator("textarea.jp-ChatExt-input")
    box.fill("Go")
    busy_before = task_seconds()
    started = time.monotonic()
    box.press("Enter")
    view.locator('.jp-ChatExt-message-assistant[data-status="streaming"]').wait_for()
    view.locator('.jp-ChatExt-message-assistant[data-status="done"]').wait_for(
        timeout=words * 100 + 60_000
    )
    wall = time.monotonic() - started
    busy = task_seconds() - busy_before
    long_tasks = page.evaluate("() => window.__longTasks")
    rendered = view.locator(".jp-ChatExt-message-assistant .jp-ChatExt-messageBody").inner_text()
    return {
        "wall_s": wall,
        "busy_share": busy / wall,
        "long_tasks": len(long_tasks),
        "longest_ms": max(long_tasks, default=0.0),
        "rendered_words": len(rendered.split()),
    }


def measure_open(page: Page, lab, messages: int) -> float:
    """Milliseconds from the open command to the latest message rendered at the bottom."""
    history = []
    for n in range(messages):
        if n % 2 == 0:
            history.append({"role": "user", "content": f"Question {n}: what about part {n}?"})
        else:
            body = f"Answer {n}.\n\n{PARAGRAPH}\n\n{CODE if n % 6 == 1 else LIST}"
            history.append({"role": "assistant", "content": body, "model": "fake-chat"})
    status, chat = lab.api("POST", "chats", {"title": "A long chat", "messages": history})
    assert status == 201, chat
    last = f"Answer {messages - 1}." if messages % 2 == 0 else f"Question {messages - 1}:"
    return page.evaluate(
        """async ([chatId, last]) => {
            const started = performance.now();
            await window.jupyterapp.commands.execute(
                'chat-ext:open-chat', { chatId, where: 'tab' });
            const selector = `.jp-ChatExt-chatViewBody[data-chat-id="${chatId}"]`;
            return await new Promise(resolve => {
                const check = () => {
                    const view = document.querySelector(selector);
                    const bodies = view ? view.querySelectorAll('.jp-ChatExt-messageBody') : [];
                    const body = bodies[bodies.length - 1];
                    const scroller = view && view.querySelector('.jp-ChatExt-messages');
                    const away = scroller
                        ? scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight
                        : Infinity;
                    if (body && !body.classList.contains('jp-ChatExt-raw')
                        && body.querySelector('.jp-ChatExt-block')
                        && body.textContent.includes(last) && away < 50) {
                        resolve(performance.now() - started);
                    } else if (performance.now() - started > 20000) {
                        resolve(-1);
                        console.log('bench: not shown', !!view, bodies.length,
                            body && body.className, away);
                    } else {
                        requestAnimationFrame(check);
                    }
                };
                check();
            });
        }""",
        [chat["id"], last],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokens", type=int, default=4000, help="words in the long answer")
    parser.add_argument("--rate", type=float, default=100, help="chunks a second")
    parser.add_argument("--messages", type=int, default=1000, help="messages in the long chat")
    args = parser.parse_args()

    reply = long_answer(args.tokens)
    model = f"fake-chat+delay-chunk-{1 / args.rate:g}"
    with (
        UpstreamThread(models=("fake-chat", model), reply=reply) as upstream,
        tempfile.TemporaryDirectory() as tmp,
        running_lab(
            Path(tmp),
            "bench-ui.log",
            (
                f"--ChatExtApp.openai_api_base_urls={upstream.openai_url}",
                "--ChatExtApp.local_model=",
                "--ChatExtApp.local_embedding_model=",
            ),
        ) as lab_process,
        sync_playwright() as playwright,
    ):
        lab = lab_process.server
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(60_000)
        page = context.new_page()
        page.on("console", lambda m: m.text.startswith("bench:") and print(m.text, file=sys.stderr))

        start_kb, files = measure_start_js(page, lab)
        print("measured the JavaScript at start; streaming…", file=sys.stderr)
        stream = measure_stream(page, model, args.tokens)
        print("measured streaming; opening a long chat…", file=sys.stderr)
        open_ms = measure_open(page, lab, args.messages)
        browser.close()

    words = len(reply.split())
    print(
        f"\nchat view benchmark ({words}-word answer at {args.rate:g} chunks/s, "
        f"{args.messages}-message chat)"
    )
    print(f"  stream: {stream['wall_s']:.1f} s wall, {stream['rendered_words']} words rendered")
    print(
        f"  longest main-thread task while streaming: {stream['longest_ms']:.0f} ms "
        f"({stream['long_tasks']} over 50 ms; target none over {LONG_TASK_TARGET_MS} ms)  "
        f"{verdict(stream['long_tasks'] == 0)}"
    )
    print(
        f"  main thread busy while streaming: {stream['busy_share']:.0%} "
        f"(target <= {BUSY_TARGET:.0%})  {verdict(stream['busy_share'] <= BUSY_TARGET)}"
    )
    print(
        f"  {args.messages}-message chat, latest messages shown: {open_ms:.0f} ms "
        f"(target <= {OPEN_TARGET_MS} ms)  {verdict(open_ms <= OPEN_TARGET_MS)}"
    )
    print(
        f"  extension JavaScript at start: {start_kb:.1f} KB gzipped in {len(files)} files "
        f"(target <= {START_JS_TARGET_KB} KB)  {verdict(start_kb <= START_JS_TARGET_KB)}"
    )
    print(f"    {', '.join(files)}")


if __name__ == "__main__":
    main()
