import assert from 'node:assert/strict';
import { test } from 'node:test';

import { loadTs } from './load-ts.mjs';

const { paramsFrom, paramsText } = await loadTs('params.ts');

const trans = {
  __: (text, ...args) => text.replace(/%(\d)/g, (_, i) => String(args[i - 1]))
};

test('stop sequences with line breaks, commas and backslashes survive the form', () => {
  const stop = ['\n\nUser:', 'a, b', 'C:\\dir', '\t', '</s>'];
  const text = paramsText({ stop });
  // A text input drops line breaks: the field must not need any.
  assert.doesNotMatch(text.stop, /[\n\r]/);
  assert.deepEqual(paramsFrom(text, trans).stop, stop);
});

test('stop sequences are typed separated by commas, with \\n for a line break', () => {
  const typed = (stop, other = '') =>
    paramsFrom(
      {
        numbers: {
          temperature: '',
          top_p: '',
          top_k: '',
          max_tokens: '',
          seed: ''
        },
        stop,
        other
      },
      trans
    ).stop;
  assert.deepEqual(typed('\\n\\n, END ,, '), ['\n\n', 'END']);
  assert.deepEqual(typed('one\\, two'), ['one, two']);
  assert.equal(typed('  '), undefined);
});

test('whole-number parameters refuse a fraction, by field', () => {
  const numbers = {
    temperature: '0.5',
    top_p: '',
    top_k: '',
    max_tokens: '',
    seed: ''
  };
  const text = { numbers, stop: '', other: '' };
  assert.equal(paramsFrom(text, trans).temperature, 0.5);
  for (const key of ['top_k', 'max_tokens', 'seed']) {
    assert.throws(
      () =>
        paramsFrom({ ...text, numbers: { ...numbers, [key]: '1.5' } }, trans),
      error => error.field === key && /whole number/.test(error.message)
    );
  }
  assert.equal(
    paramsFrom({ ...text, numbers: { ...numbers, max_tokens: '64' } }, trans)
      .max_tokens,
    64
  );
});
