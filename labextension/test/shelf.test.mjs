import assert from 'node:assert/strict';
import { test } from 'node:test';

import { loadTs } from './load-ts.mjs';

const { DraftShelf, DRAFTS_STATE, MAX_DRAFTS, MAX_SAVED_TEXT } =
  await loadTs('chat/shelf.ts');

/** JupyterLab's state, as far as the shelf uses it; counts the writes. */
class FakeState {
  data = new Map();
  writes = 0;
  async fetch(id) {
    return this.data.get(id);
  }
  async save(id, value) {
    this.writes++;
    this.data.set(id, JSON.parse(JSON.stringify(value)));
  }
  async remove(id) {
    this.writes++;
    this.data.delete(id);
  }
}

/** A view's input. */
class FakeDraft {
  text = '';
  source = null;
  fill(text, options) {
    this.text = text;
    this.source = options.source ?? null;
  }
}

const view = () => ({ isDisposed: false });

async function reloaded(state) {
  const shelf = new DraftShelf(state);
  await shelf.fetch();
  return shelf;
}

test('what was typed comes back after a reload, with its source, in one write', async () => {
  const state = new FakeState();
  const shelf = await reloaded(state);
  const owner = view();
  const draft = new FakeDraft();
  const source = { kind: 'cell', notebook: 'a.ipynb', cell: 2 };
  for (const text of ['E', 'Ex', 'Explain', 'Explain this']) {
    draft.text = text;
    draft.source = source;
    shelf.note(owner, 'chat-1', draft);
  }
  assert.equal(state.writes, 0, 'nothing is written while typing goes on');
  await shelf.flush();
  assert.equal(state.writes, 1);

  const after = await reloaded(state);
  const restored = new FakeDraft();
  after.restore(view(), 'chat-1', restored);
  assert.equal(restored.text, 'Explain this');
  assert.deepEqual(restored.source, source);
  const other = new FakeDraft();
  after.restore(view(), 'chat-2', other);
  assert.equal(other.text, '');
});

test('a text sent is forgotten', async () => {
  const state = new FakeState();
  const shelf = await reloaded(state);
  const owner = view();
  const draft = new FakeDraft();
  draft.text = 'to be sent';
  shelf.note(owner, 'chat-1', draft);
  await shelf.flush();
  draft.text = '';
  shelf.note(owner, 'chat-1', draft);
  await shelf.flush();
  assert.equal(state.data.has(DRAFTS_STATE), false);
});

test("a new chat's text follows it to its id and goes to no other new chat", async () => {
  const state = new FakeState();
  const shelf = await reloaded(state);
  const owner = view();
  const draft = new FakeDraft();
  draft.text = 'typed while the first answer is written';
  shelf.note(owner, null, draft);
  // Another new chat opened beside it does not take it.
  const beside = new FakeDraft();
  shelf.restore(view(), null, beside);
  assert.equal(beside.text, '');
  // The chat gets its id.
  shelf.note(owner, 'chat-9', draft);
  await shelf.flush();
  const after = await reloaded(state);
  const fresh = new FakeDraft();
  after.restore(view(), null, fresh);
  assert.equal(fresh.text, '', 'nothing is left for new chats');
  const same = new FakeDraft();
  after.restore(view(), 'chat-9', same);
  assert.equal(same.text, 'typed while the first answer is written');
});

test('only the latest chats are kept, and long texts only for the page', async () => {
  const state = new FakeState();
  const shelf = await reloaded(state);
  for (let n = 0; n < MAX_DRAFTS + 5; n++) {
    const draft = new FakeDraft();
    draft.text = `text ${n}`;
    shelf.release(view(), `chat-${n}`, draft);
  }
  const long = new FakeDraft();
  long.text = 'x'.repeat(MAX_SAVED_TEXT + 1);
  shelf.release(view(), 'chat-long', long);
  await shelf.flush();
  const saved = state.data.get(DRAFTS_STATE);
  assert.equal(saved.length, MAX_DRAFTS - 1);
  assert.deepEqual(saved[0], ['chat-6', 'text 6', null]);
  assert.deepEqual(saved.at(-1), [
    `chat-${MAX_DRAFTS + 4}`,
    `text ${MAX_DRAFTS + 4}`,
    null
  ]);
  // In this page the long text is still there.
  const again = new FakeDraft();
  shelf.restore(view(), 'chat-long', again);
  assert.equal(again.text.length, MAX_SAVED_TEXT + 1);
});

/** A tab's session storage. */
class FakeStorage {
  items = new Map();
  getItem(key) {
    return this.items.has(key) ? this.items.get(key) : null;
  }
  setItem(key, value) {
    this.items.set(key, String(value));
  }
  removeItem(key) {
    this.items.delete(key);
  }
}

test('text typed just before a reload comes back from the tab, once', async () => {
  const state = new FakeState();
  const backup = { key: `${DRAFTS_STATE}:/`, storage: new FakeStorage() };
  const shelf = new DraftShelf(state, backup);
  await shelf.fetch();
  const draft = new FakeDraft();
  draft.text = 'said a moment before the reload';
  shelf.note(view(), 'chat-1', draft);
  shelf.leave(); // the page goes before any save
  assert.equal(state.writes, 0);

  const after = new DraftShelf(state, backup);
  await after.fetch();
  const restored = new FakeDraft();
  after.restore(view(), 'chat-1', restored);
  assert.equal(restored.text, 'said a moment before the reload');
  assert.equal(backup.storage.items.size, 0, 'read once, then dropped');
  // JupyterLab's state catches up, for a reload in another tab.
  await after.flush();
  assert.deepEqual(state.data.get(DRAFTS_STATE), [
    ['chat-1', 'said a moment before the reload', null]
  ]);
});

test("a backup that cannot be read leaves the state's texts", async () => {
  const state = new FakeState();
  state.data.set(DRAFTS_STATE, [['chat-1', 'from the state', null]]);
  const backup = { key: `${DRAFTS_STATE}:/`, storage: new FakeStorage() };
  for (const left of ['{not json', 'null', '{"chat-1": "x"}']) {
    backup.storage.setItem(backup.key, left);
    const shelf = new DraftShelf(state, backup);
    await shelf.fetch();
    const restored = new FakeDraft();
    shelf.restore(view(), 'chat-1', restored);
    assert.equal(restored.text, 'from the state', left);
    await shelf.flush();
    assert.equal(state.writes, 0, 'the state is left as it was');
  }
});
