import assert from 'node:assert/strict';
import { test } from 'node:test';

import { loadTs } from './load-ts.mjs';

const { SseParser } = await loadTs('api/sse.ts');

test('keep-alive comments while a model is quiet are skipped, split anywhere', () => {
  const stream =
    'event: start\ndata: {"chat_id": "c", "content": ""}\n\n' +
    ': keep-alive\n\n: keep-alive\n\n' +
    'event: delta\ndata: {"text": "Hi"}\n\n' +
    ': keep-alive\r\n\r\n' +
    'event: done\ndata: {"status": "done"}\n\n';
  for (let cut = 1; cut < stream.length; cut++) {
    const parser = new SseParser();
    const events = [
      ...parser.push(stream.slice(0, cut)),
      ...parser.push(stream.slice(cut))
    ];
    assert.deepEqual(
      events.map(e => e.type),
      ['start', 'delta', 'done'],
      `cut at ${cut}`
    );
    assert.equal(events[1].data.text, 'Hi');
  }
});
