import assert from 'node:assert/strict';
import { test } from 'node:test';

import { loadTs } from './load-ts.mjs';

const { descendantIds, flattenTree, folderTree, groupChats, groupKey } =
  await loadTs('chats/grouping.ts');

// Mid-afternoon local time, so that "today" is not at a day's edge.
const NOW = new Date(2026, 10, 26, 15, 0, 0);

function at(year, month, day, hour = 12) {
  return {
    pinned: false,
    updated_at: new Date(year, month, day, hour).toISOString()
  };
}

test('today, the previous 7 days and the previous 30 days go by calendar day', () => {
  assert.equal(groupKey(at(2026, 10, 26, 0), NOW), 'today');
  assert.equal(groupKey(at(2026, 10, 25, 23), NOW), 'week');
  assert.equal(groupKey(at(2026, 10, 19, 0), NOW), 'week');
  assert.equal(groupKey(at(2026, 10, 18, 23), NOW), 'month');
  assert.equal(groupKey(at(2026, 9, 27), NOW), 'month');
  assert.equal(groupKey(at(2026, 9, 26), NOW), '2026-10');
  assert.equal(groupKey(at(2025, 0, 3), NOW), '2025-01');
});

test('a chat changed later than now (clock skew) counts as today', () => {
  assert.equal(groupKey(at(2026, 10, 27, 9), NOW), 'today');
});

test('pinned chats go first whatever their date', () => {
  assert.equal(groupKey({ ...at(2024, 1, 1), pinned: true }, NOW), 'pinned');
});

test('groups come in display order, months newest first, order kept inside', () => {
  const chats = [
    { id: 'a', ...at(2026, 10, 26) },
    { id: 'p', ...at(2026, 10, 20), pinned: true },
    { id: 'b', ...at(2026, 10, 24) },
    { id: 'c', ...at(2026, 10, 23) },
    { id: 'd', ...at(2026, 8, 2) },
    { id: 'e', ...at(2025, 11, 30) },
    { id: 'f', ...at(2026, 9, 10) }
  ];
  const groups = groupChats(chats, NOW);
  assert.deepEqual(
    groups.map(group => [group.key, group.items.map(chat => chat.id)]),
    [
      ['pinned', ['p']],
      ['today', ['a']],
      ['week', ['b', 'c']],
      ['2026-10', ['f']],
      ['2026-09', ['d']],
      ['2025-12', ['e']]
    ]
  );
});

test('no chats, no groups', () => {
  assert.deepEqual(groupChats([], NOW), []);
});

const folders = [
  { id: 'r2', name: 'Beta', parent_id: null },
  { id: 'r1', name: 'alpha', parent_id: null },
  { id: 'c1', name: 'child', parent_id: 'r1' },
  { id: 'g1', name: 'grandchild', parent_id: 'c1' },
  { id: 'lost', name: 'Orphan', parent_id: 'gone' }
];

test('the folder tree nests by parent and sorts each level by name', () => {
  const flat = flattenTree(folderTree(folders)).map(node => [
    node.folder.id,
    node.depth
  ]);
  assert.deepEqual(flat, [
    ['r1', 0],
    ['c1', 1],
    ['g1', 2],
    ['r2', 0],
    ['lost', 0]
  ]);
});

test('a cycle in stored folders cannot loop forever', () => {
  const cyclic = [
    { id: 'a', name: 'a', parent_id: 'b' },
    { id: 'b', name: 'b', parent_id: 'a' }
  ];
  // Neither is a root, so nothing is shown rather than recursing.
  assert.deepEqual(folderTree(cyclic), []);
});

test('descendants of a folder include itself and everything below', () => {
  assert.deepEqual([...descendantIds(folders, 'r1')].sort(), [
    'c1',
    'g1',
    'r1'
  ]);
  assert.deepEqual([...descendantIds(folders, 'r2')], ['r2']);
});
