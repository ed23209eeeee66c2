"""`useSignals`, through which the chat list and the chat view follow their models, run with
React in a real browser: a model that changes after a component rendered but before it
subscribed must still be shown (the list once stayed at "Loading chats…" that way)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Route

LABEXTENSION = Path(__file__).resolve().parents[2] / "labextension"
ORIGIN = "http://hooks.invalid"

# React's own builds, as scripts; the compiled hook imports "react" as a module.
FILES = {
    "/react.js": LABEXTENSION / "node_modules/react/umd/react.development.js",
    "/react-dom.js": LABEXTENSION / "node_modules/react-dom/umd/react-dom.development.js",
    "/hooks.js": LABEXTENSION / "lib/hooks.js",
}
REACT_MODULE = """
const React = window.React;
export default React;
export const { createElement, useCallback, useEffect, useLayoutEffect, useState,
  useSyncExternalStore } = React;
"""
SIGNAL_MODULE = """
// The part of Lumino's ISignal the hook uses: connect, disconnect, and emit to call them.
export class Signal {
  constructor() { this.slots = []; }
  connect(slot) { this.slots.push(slot); return true; }
  disconnect(slot) {
    const before = this.slots.length;
    this.slots = this.slots.filter(known => known !== slot);
    return this.slots.length < before;
  }
  emit() { [...this.slots].forEach(slot => slot(this)); }
}
"""
PAGE = """<!doctype html>
<meta charset="utf-8">
<script src="/react.js"></script>
<script src="/react-dom.js"></script>
<script type="importmap">
  {"imports": {"react": "/react-module.js", "@lumino/signaling": "/signal.js"}}
</script>
<div id="root"></div>
<script type="module">
  import { createElement as h, useLayoutEffect } from 'react';
  import { Signal } from '@lumino/signaling';
  import { useSignals } from '/hooks.js';

  const model = { text: 'Loading chats…', changed: new Signal() };
  window.model = model;

  function Shown() {
    useSignals(model.changed);
    return h('p', { id: 'shown' }, model.text);
  }

  // A child's layout effect runs after its parent rendered and before the parent's own
  // effects: the moment a page of chats can arrive in the real list.
  function ArrivesNow() {
    useLayoutEffect(() => {
      model.text = 'Bulk chat 00';
      model.changed.emit();
    }, []);
    return null;
  }

  function App() {
    return h('div', null, h(Shown), h(ArrivesNow));
  }

  window.root = ReactDOM.createRoot(document.getElementById('root'));
  window.root.render(h(App));
</script>
"""


@pytest.fixture
def hook_page(browser: Browser) -> Iterator[Page]:
    missing = [str(path) for path in FILES.values() if not path.exists()]
    if missing:
        pytest.fail(f"Build the labextension first (make build): missing {', '.join(missing)}")
    context = browser.new_context()
    bodies = {
        "/": ("text/html", PAGE.encode()),
        "/react-module.js": ("text/javascript", REACT_MODULE.encode()),
        "/signal.js": ("text/javascript", SIGNAL_MODULE.encode()),
        **{path: ("text/javascript", file.read_bytes()) for path, file in FILES.items()},
    }

    def serve(route: Route) -> None:
        path = route.request.url.removeprefix(ORIGIN)
        if path not in bodies:
            route.fulfill(status=404, body=f"no {path}")
            return
        content_type, body = bodies[path]
        route.fulfill(status=200, content_type=content_type, body=body)

    context.route(f"{ORIGIN}/**", serve)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield page
        assert errors == []
    finally:
        context.close()


def test_a_change_before_the_subscription_is_shown(hook_page: Page):
    hook_page.goto(f"{ORIGIN}/")
    hook_page.wait_for_function("() => document.getElementById('shown') !== null")
    # Nothing fires after this: what is shown now stays shown.
    hook_page.wait_for_timeout(300)
    assert hook_page.locator("#shown").text_content() == "Bulk chat 00"


def test_later_changes_are_shown_and_an_unmounted_component_stops_listening(hook_page: Page):
    hook_page.goto(f"{ORIGIN}/")
    hook_page.wait_for_function(
        "() => document.getElementById('shown')?.textContent === 'Bulk chat 00'"
    )
    hook_page.evaluate("() => { window.model.text = 'Renamed'; window.model.changed.emit(); }")
    hook_page.wait_for_function("() => document.getElementById('shown').textContent === 'Renamed'")
    # One listener counts emissions for good; the component's own goes with it.
    assert hook_page.evaluate("() => window.model.changed.slots.length") == 2
    hook_page.evaluate("() => window.root.unmount()")
    assert hook_page.evaluate("() => window.model.changed.slots.length") == 1
