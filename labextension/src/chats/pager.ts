import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import {
  ChatApiClient,
  ChatListQuery,
  ChatPage,
  ChatSummary
} from '../api/client';

const PAGE_SIZE = 50;

/** One change to apply to every list: a chat as it is now, or one that is gone. */
export type ChatChange =
  | { kind: 'upsert'; chat: ChatSummary }
  | { kind: 'remove'; id: string }
  | { kind: 'clear' };

/**
 * One query of the chat list (say, the unpinned chats at the top level), newest first,
 * as far as it has been paged in, kept current by the changes it is given.
 */
export class ChatPager implements IDisposable {
  constructor(
    private readonly _client: ChatApiClient,
    readonly query: ChatListQuery
  ) {}

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get items(): readonly ChatSummary[] {
    return this._items;
  }

  /** Whether the first page has arrived, so "no items" means "no chats". */
  get loaded(): boolean {
    return this._loaded;
  }

  get loading(): boolean {
    return this._inFlight > 0;
  }

  get hasMore(): boolean {
    return this._cursor !== null;
  }

  /** Why the last load failed, until the next one succeeds. */
  get error(): Error | null {
    return this._error;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** The chat with this id, if this list holds it. */
  get(id: string): ChatSummary | undefined {
    return this._byId.get(id);
  }

  /** Replaces what is shown with the first page. */
  reload(): Promise<void> {
    this._generation += 1;
    return this._load(undefined, page => {
      this._byId.clear();
      this._merge(page.items);
      this._loaded = true;
    });
  }

  /** Appends the next page, if there is one and no load is running. */
  loadMore(): Promise<void> {
    const cursor = this._cursor;
    if (cursor === null || this.loading || this._error) {
      return Promise.resolve();
    }
    return this._load(cursor, page => {
      this._merge(page.items);
    });
  }

  /** Applies a change made here or reported by the server. Safe to apply twice. */
  apply(change: ChatChange): void {
    // A page on its way is a snapshot older than this change: apply it again on top.
    this._missed?.push(change);
    if (this._apply(change)) {
      this._update();
    }
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    Signal.clearData(this);
  }

  private async _load(
    cursor: string | undefined,
    apply: (page: ChatPage) => void
  ): Promise<void> {
    const generation = this._generation;
    this._missed ??= [];
    this._inFlight += 1;
    this._error = null;
    this._changed.emit();
    let page: ChatPage | undefined;
    try {
      page = await this._client.listChats({
        ...this.query,
        limit: PAGE_SIZE,
        cursor
      });
    } catch (error) {
      this._error = error instanceof Error ? error : new Error(String(error));
    } finally {
      this._inFlight -= 1;
    }
    if (this._isDisposed) {
      return;
    }
    // A reload started since this request makes its answer stale.
    if (page && generation === this._generation) {
      apply(page);
      this._cursor = page.next_cursor;
    }
    if (this._inFlight === 0) {
      const missed = this._missed ?? [];
      this._missed = null;
      missed.forEach(change => this._apply(change));
    }
    this._update();
  }

  /** Returns whether the list changed. */
  private _apply(change: ChatChange): boolean {
    switch (change.kind) {
      case 'clear': {
        const hadItems = this._byId.size > 0 || this._cursor !== null;
        this._byId.clear();
        this._cursor = null;
        return hadItems;
      }
      case 'remove':
        return this._byId.delete(change.id);
      case 'upsert': {
        const { chat } = change;
        const known = this._byId.has(chat.id);
        const verdict = matches(chat, this.query);
        if (verdict === false || (verdict === 'unknown' && !known)) {
          return this._byId.delete(chat.id);
        }
        // A chat older than the last page loaded belongs to a page not yet asked for.
        if (!known && this.hasMore && !this._isNewerThanLoaded(chat)) {
          return false;
        }
        return this._merge([chat]);
      }
    }
  }

  private _isNewerThanLoaded(chat: ChatSummary): boolean {
    const last = this._items[this._items.length - 1];
    return last === undefined || compareRecency(chat, last) < 0;
  }

  /** Keeps the newer copy of each chat; returns whether anything changed. */
  private _merge(chats: readonly ChatSummary[]): boolean {
    let changed = false;
    for (const chat of chats) {
      const known = this._byId.get(chat.id);
      if (known && compareRecency(known, chat) < 0) {
        continue;
      }
      this._byId.set(chat.id, chat);
      changed = true;
    }
    return changed;
  }

  private _update(): void {
    this._items = [...this._byId.values()].sort(compareRecency);
    this._changed.emit();
  }

  private _byId = new Map<string, ChatSummary>();
  private _changed = new Signal<this, void>(this);
  private _cursor: string | null = null;
  private _error: Error | null = null;
  private _generation = 0;
  private _inFlight = 0;
  private _isDisposed = false;
  private _items: readonly ChatSummary[] = [];
  private _loaded = false;
  private _missed: ChatChange[] | null = null;
}

/**
 * Whether a chat belongs to a query's answer, judged here as the server would.
 * Message text is not at hand, so a search can only say 'unknown' for a title
 * that does not match: the chat stays if it was found before.
 */
export function matches(
  chat: ChatSummary,
  query: ChatListQuery
): boolean | 'unknown' {
  if (chat.archived !== (query.archived ?? false)) {
    return false;
  }
  if (
    query.pinned !== undefined &&
    query.pinned !== null &&
    chat.pinned !== query.pinned
  ) {
    return false;
  }
  if (query.folder_id === 'none' && chat.folder_id !== null) {
    return false;
  }
  if (
    query.folder_id &&
    query.folder_id !== 'none' &&
    chat.folder_id !== query.folder_id
  ) {
    return false;
  }
  if (query.tag) {
    const tag = query.tag.toLowerCase();
    if (!chat.tags.some(name => name.toLowerCase() === tag)) {
      return false;
    }
  }
  if (query.q && !chat.title.toLowerCase().includes(query.q.toLowerCase())) {
    return 'unknown';
  }
  return true;
}

/** The server's order: most recently updated first, ties broken by id, descending. */
export function compareRecency(a: ChatSummary, b: ChatSummary): number {
  const byTime = Date.parse(b.updated_at) - Date.parse(a.updated_at);
  if (byTime !== 0) {
    return byTime;
  }
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}
