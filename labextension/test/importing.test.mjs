import assert from 'node:assert/strict';
import { test } from 'node:test';

import { loadTs } from './load-ts.mjs';

const { importBatches } = await loadTs('chats/importing.ts');

const chat = (i, size = 10) => ({ id: `c${i}`, title: 'x'.repeat(size) });

test('a small file is sent as it is', () => {
  const document = {
    format: 'jupyter-chat-ext',
    version: 1,
    chats: [chat(1), chat(2)]
  };
  assert.deepEqual(importBatches(document), [document]);
  const other = { not: 'chats' };
  assert.deepEqual(importBatches(other), [other]);
});

test('a large export is split into exports of the same format, every chat once, in order', () => {
  const chats = Array.from({ length: 10 }, (_, i) => chat(i, 100));
  const document = { format: 'jupyter-chat-ext', version: 1, chats };
  const batches = importBatches(document, 350);
  assert.ok(batches.length > 1);
  for (const batch of batches) {
    assert.equal(batch.format, 'jupyter-chat-ext');
    assert.equal(batch.version, 1);
    assert.ok(
      JSON.stringify(batch.chats).length <= 350 || batch.chats.length === 1
    );
  }
  assert.deepEqual(
    batches.flatMap(batch => batch.chats),
    chats
  );
});

test("Open WebUI's list is split into lists", () => {
  const chats = Array.from({ length: 7 }, (_, i) => chat(i, 100));
  const batches = importBatches(chats, 250);
  assert.ok(batches.length > 1 && batches.every(Array.isArray));
  assert.deepEqual(batches.flat(), chats);
});

test('a chat larger than a batch goes alone', () => {
  const chats = [chat(1, 10), chat(2, 1000), chat(3, 10)];
  const batches = importBatches(chats, 100);
  assert.deepEqual(
    batches.map(batch => batch.map(c => c.id)),
    [['c1'], ['c2'], ['c3']]
  );
});
