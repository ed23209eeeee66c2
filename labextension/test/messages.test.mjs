import assert from 'node:assert/strict';
import { test } from 'node:test';

import { loadTs } from './load-ts.mjs';

const { isPending, pendingMessage, toMessage } =
  await loadTs('chat/messages.ts');

test('a stand-in message is its own only sibling and reads as pending', () => {
  const first = pendingMessage('user', 'Hello', 'parent-1');
  const second = pendingMessage('assistant', '', first.id);
  assert.notEqual(first.id, second.id);
  assert.deepEqual(first.sibling_ids, [first.id]);
  assert.equal(first.parent_id, 'parent-1');
  assert.ok(isPending(first.id) && isPending(second.id));
  assert.ok(!isPending('0f3a9c'));
});

test('a message from an event loses its chat id and is streaming while its status says so', () => {
  const message = toMessage({
    chat_id: 'c1',
    id: 'm1',
    role: 'assistant',
    content: 'Par',
    sibling_ids: ['m1'],
    meta: { status: 'streaming' }
  });
  assert.equal(message.id, 'm1');
  assert.equal(message.streaming, true);
  assert.ok(!('chat_id' in message));
  const done = toMessage({
    id: 'm2',
    role: 'user',
    content: 'x',
    sibling_ids: ['m2']
  });
  assert.equal(done.streaming, false);
  assert.deepEqual(done.meta, {});
});

test('anything not shaped like a message is refused', () => {
  assert.equal(toMessage({ id: 'm1', role: 'user', content: 'x' }), null);
  assert.equal(
    toMessage({ id: 1, role: 'user', content: 'x', sibling_ids: [] }),
    null
  );
});
