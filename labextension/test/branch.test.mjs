import assert from 'node:assert/strict';
import { test } from 'node:test';

import { loadTs } from './load-ts.mjs';

const {
  branchWindow,
  chatIdOf,
  leafOf,
  placeAnswer,
  withEventMessage,
  withStored
} = await loadTs('chat/branch.ts');
const { pendingMessage } = await loadTs('chat/messages.ts');

function stored(id, parentId, role, content, meta = {}) {
  return {
    id,
    parent_id: parentId,
    role,
    content,
    model: role === 'assistant' ? 'm' : null,
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    meta,
    sibling_ids: [id]
  };
}

test('a sent question takes its stored id and the answer follows it, streaming', () => {
  const q1 = stored('q1', null, 'user', 'first');
  const source = { kind: 'cell', path: 'a.ipynb' };
  const pendingUser = {
    ...pendingMessage('user', 'second', 'q1'),
    meta: { source }
  };
  const placed = placeAnswer(
    [q1, pendingUser],
    { kind: 'send', pendingUser },
    { chat_id: 'c', user_message_id: 'q2', message_id: 'a2', model: 'gpt' }
  );
  assert.deepEqual(
    placed.map(m => [m.id, m.parent_id, m.streaming === true]),
    [
      ['q1', null, false],
      ['q2', 'q1', false],
      ['a2', 'q2', true]
    ]
  );
  assert.deepEqual(placed[1].meta, { source });
  assert.deepEqual(placed[1].sibling_ids, ['q2']);
  assert.equal(placed[2].model, 'gpt');
  assert.equal(leafOf(placed), 'a2');
});

test('a regenerated answer takes the stand-in place, as a sibling of the old one', () => {
  const q = stored('q', null, 'user', 'hi');
  const old = stored('a1', 'q', 'assistant', 'old');
  const pendingAnswer = {
    ...pendingMessage('assistant', '', 'q'),
    streaming: true,
    sibling_ids: ['a1']
  };
  pendingAnswer.sibling_ids.push(pendingAnswer.id);
  const placed = placeAnswer(
    [q, pendingAnswer],
    { kind: 'regenerate', target: old, pendingAnswer },
    { chat_id: 'c', user_message_id: null, message_id: 'a2', model: 'm2' }
  );
  assert.deepEqual(
    placed.map(m => m.id),
    ['q', 'a2']
  );
  assert.deepEqual(placed[1].sibling_ids, ['a1', 'a2']);
  assert.equal(placed[1].streaming, true);
});

test('stored copies replace what is shown and end streaming; others are ignored', () => {
  const shown = [
    stored('q', null, 'user', 'hi'),
    { ...stored('a', 'q', 'assistant', 'par'), streaming: true }
  ];
  const copy = stored('a', 'q', 'assistant', 'partial answer', {
    status: 'done'
  });
  const next = withStored(shown, [
    copy,
    stored('elsewhere', null, 'user', 'x')
  ]);
  assert.equal(next.length, 2);
  assert.equal(next[1].content, 'partial answer');
  assert.equal(next[1].streaming, false);
  assert.deepEqual(next[1].meta, { status: 'done' });
  assert.equal(
    shown[1].content,
    'par',
    'the list shown is never changed in place'
  );
});

test('a message from another tab is placed only if it continues the branch shown', () => {
  const shown = [stored('q', null, 'user', 'hi')];
  const reply = stored('a', 'q', 'assistant', 'hello');
  assert.deepEqual(
    withEventMessage(shown, reply, true).map(m => m.id),
    ['q', 'a']
  );
  assert.equal(
    withEventMessage(shown, stored('b', 'x', 'assistant', '?'), true),
    null
  );
  assert.equal(
    withEventMessage(shown, reply, false),
    null,
    'an update to a message not shown'
  );
  const edited = withEventMessage(
    shown,
    { ...shown[0], content: 'hey' },
    false
  );
  assert.equal(edited[0].content, 'hey');
});

test('an event names its chat: message events by chat_id, chat events by id', () => {
  assert.equal(
    chatIdOf({ type: 'message.delta', data: { chat_id: 'c1', id: 'm1' } }),
    'c1'
  );
  assert.equal(chatIdOf({ type: 'chat.updated', data: { id: 'c2' } }), 'c2');
});

test('a window keeps the newest messages and knows where in the branch it starts', () => {
  const messages = ['m0', 'm1', 'm2', 'm3'].map((id, i) =>
    stored(
      id,
      i ? `m${i - 1}` : null,
      'user',
      id,
      i === 3 ? { status: 'streaming' } : {}
    )
  );
  const shown = branchWindow(
    { first_index: 6, messages, branch_length: 10, current_message_id: 'm3' },
    2
  );
  assert.equal(shown.firstIndex, 8);
  assert.deepEqual(
    shown.messages.map(m => [m.id, m.streaming]),
    [
      ['m2', false],
      ['m3', true]
    ]
  );
});
