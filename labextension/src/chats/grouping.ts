/**
 * Pure helpers for the chat list: date groups and the folder tree. They import nothing,
 * so that they can be tested without a browser.
 */

/** The fields grouping needs, so that any chat-like object can be grouped. */
export interface IDated {
  pinned: boolean;
  updated_at: string;
}

/**
 * 'pinned', 'today', 'week' (the 7 days before today), 'month' (the 30 days before
 * today), or a calendar month as 'YYYY-MM'.
 */
export type GroupKey = 'pinned' | 'today' | 'week' | 'month' | string;

export interface IGroup<T> {
  key: GroupKey;
  items: T[];
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Local midnight of the day `time` falls on. */
function startOfDay(time: Date): number {
  return new Date(
    time.getFullYear(),
    time.getMonth(),
    time.getDate()
  ).getTime();
}

/** The group one chat belongs to, in local time as the user sees dates. */
export function groupKey(chat: IDated, now: Date): GroupKey {
  if (chat.pinned) {
    return 'pinned';
  }
  const updated = new Date(chat.updated_at);
  const today = startOfDay(now);
  const time = updated.getTime();
  if (time >= today) {
    return 'today';
  }
  // Calendar days, so that "7 days" does not depend on the hour of the day.
  const daysAgo = Math.round((today - startOfDay(updated)) / DAY_MS);
  if (daysAgo <= 7) {
    return 'week';
  }
  if (daysAgo <= 30) {
    return 'month';
  }
  const month = String(updated.getMonth() + 1).padStart(2, '0');
  return `${updated.getFullYear()}-${month}`;
}

/**
 * Splits chats (newest first) into groups in display order: pinned, today, the
 * previous 7 days, the previous 30 days, then each month, newest first. Chats keep
 * their order inside a group; empty groups are left out.
 */
export function groupChats<T extends IDated>(
  chats: readonly T[],
  now: Date
): IGroup<T>[] {
  const byKey = new Map<GroupKey, T[]>();
  for (const chat of chats) {
    const key = groupKey(chat, now);
    const items = byKey.get(key);
    if (items) {
      items.push(chat);
    } else {
      byKey.set(key, [chat]);
    }
  }
  const fixed = ['pinned', 'today', 'week', 'month'];
  const months = [...byKey.keys()]
    .filter(key => !fixed.includes(key))
    .sort()
    .reverse();
  return [...fixed, ...months]
    .filter(key => byKey.has(key))
    .map(key => ({ key, items: byKey.get(key)! }));
}

/** A folder as the tree needs it. */
export interface IFolderLike {
  id: string;
  name: string;
  parent_id: string | null;
}

export interface IFolderNode<F extends IFolderLike> {
  folder: F;
  depth: number;
  children: IFolderNode<F>[];
}

/**
 * Builds the folder tree, each level sorted by name. A folder whose parent is unknown
 * (not loaded, or deleted meanwhile) is shown at the top level rather than lost.
 */
export function folderTree<F extends IFolderLike>(
  folders: readonly F[]
): IFolderNode<F>[] {
  const ids = new Set(folders.map(folder => folder.id));
  const children = new Map<string | null, F[]>();
  for (const folder of folders) {
    const parent =
      folder.parent_id !== null && ids.has(folder.parent_id)
        ? folder.parent_id
        : null;
    const siblings = children.get(parent);
    if (siblings) {
      siblings.push(folder);
    } else {
      children.set(parent, [folder]);
    }
  }
  const build = (parent: string | null, depth: number): IFolderNode<F>[] =>
    (children.get(parent) ?? [])
      .slice()
      .sort((a, b) => a.name.localeCompare(b.name))
      .map(folder => ({
        folder,
        depth,
        // A cycle in stored data cannot recurse forever: depth bounds it.
        children: depth < 64 ? build(folder.id, depth + 1) : []
      }));
  return build(null, 0);
}

/** The tree flattened depth first, as menus list it. */
export function flattenTree<F extends IFolderLike>(
  nodes: readonly IFolderNode<F>[]
): IFolderNode<F>[] {
  return nodes.flatMap(node => [node, ...flattenTree(node.children)]);
}

/** The ids of a folder and every folder below it. */
export function descendantIds(
  folders: readonly IFolderLike[],
  rootId: string
): Set<string> {
  const found = new Set([rootId]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const folder of folders) {
      if (
        folder.parent_id !== null &&
        found.has(folder.parent_id) &&
        !found.has(folder.id)
      ) {
        found.add(folder.id);
        grew = true;
      }
    }
  }
  return found;
}
