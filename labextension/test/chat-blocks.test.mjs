import assert from 'node:assert/strict';
import { test } from 'node:test';

import { loadTs } from './load-ts.mjs';

const { fenceFor, splitBlocks } = await loadTs('chat/blocks.ts');
const { SseParser } = await loadTs('api/sse.ts');

test('finished paragraphs split off; the one being written stays the tail', () => {
  const { complete, tail } = splitBlocks('One.\n\nTwo.\n\nThree\nis still');
  assert.deepEqual(complete, ['One.\n\n', 'Two.\n\n']);
  assert.equal(tail, 'Three\nis still');
});

test('a line still being written decides nothing (it may turn out indented)', () => {
  assert.deepEqual(splitBlocks('One.\n\nTw').complete, []);
});

test('a blank line at the very end finishes nothing yet', () => {
  assert.deepEqual(splitBlocks('One.\n\n'), { complete: [], tail: 'One.\n\n' });
});

test('blank lines inside code fences and $$ math do not split', () => {
  const code = '```python\na = 1\n\nb = 2\n```\n\nAfter\n';
  assert.deepEqual(splitBlocks(code).complete, [
    '```python\na = 1\n\nb = 2\n```\n\n'
  ]);
  const math = '$$\nx\n\ny\n$$\n\nAfter\n';
  assert.deepEqual(splitBlocks(math).complete, ['$$\nx\n\ny\n$$\n\n']);
  assert.deepEqual(splitBlocks('```\nopen\n\nstill code').complete, []);
});

test('list items and indented lines continue their block', () => {
  const text = '- one\n\n- two\n\n  more of two\n\nNext\n';
  assert.deepEqual(splitBlocks(text).complete, [
    '- one\n\n- two\n\n  more of two\n\n'
  ]);
});

test('the blocks and the tail always add up to the text', () => {
  const text =
    '# Title\n\nPara\n\n```js\nx\n\n```\n\n- a\n- b\n\n$$\n1\n$$\n\nEnd';
  for (let end = 0; end <= text.length; end++) {
    const { complete, tail } = splitBlocks(text.slice(0, end));
    assert.equal(complete.join('') + tail, text.slice(0, end));
  }
});

test('a fence is longer than any backtick run inside', () => {
  assert.equal(fenceFor('plain'), '```');
  assert.equal(fenceFor('has ``` inside'), '````');
});

test('server-sent events are parsed across chunk boundaries', () => {
  const parser = new SseParser();
  assert.deepEqual(parser.push('event: delta\ndata: {"te'), []);
  const events = parser.push(
    'xt": "Hi"}\n\nevent: done\r\ndata: {"status": "done"}\r\n\r\n'
  );
  assert.deepEqual(events, [
    { type: 'delta', data: { text: 'Hi' } },
    { type: 'done', data: { status: 'done' } }
  ]);
  assert.deepEqual(parser.push(': comment\n\nevent: other\ndata: {}\n\n'), []);
});
