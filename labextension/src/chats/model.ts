import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import {
  ChatApiClient,
  ChatDetail,
  ChatEvent,
  ChatPage,
  ChatSummary
} from '../api/client';
import { ChatEventStream } from '../api/events';

const PAGE_SIZE = 50;

/**
 * The current user's unarchived chats, newest first, as far as they have been paged in,
 * kept up to date by the event stream.
 */
export class ChatListModel implements IDisposable {
  constructor(options: ChatListModel.IOptions) {
    this._client = options.client;
    this._events = options.events;
    this._events.received.connect(this._onEvent, this);
    this._events.reconnected.connect(this._onReconnected, this);
  }

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

  /** Loads the first page and starts listening, once; later calls do nothing. */
  start(): void {
    if (this._started) {
      return;
    }
    this._started = true;
    this._events.start();
    void this.reload();
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

  /** Creates an untitled chat and shows it at once, without waiting for its event. */
  async createChat(): Promise<ChatSummary> {
    const detail = await this._client.createChat({});
    const summary = toSummary(detail);
    this._merge([summary]);
    this._update();
    return summary;
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
    // A page is a snapshot taken when the server answered; events that arrive while
    // it is on its way may be newer, so they are kept and applied again on top of it.
    this._missed ??= [];
    this._inFlight += 1;
    this._error = null;
    this._changed.emit();
    let page: ChatPage | undefined;
    try {
      page = await this._client.listChats({ limit: PAGE_SIZE, cursor });
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
      missed.forEach(event => this._apply(event));
    }
    this._update();
  }

  private _onEvent(_: ChatEventStream, event: ChatEvent): void {
    this._missed?.push(event);
    if (this._apply(event)) {
      this._update();
    }
  }

  private _onReconnected(): void {
    if (this._started) {
      void this.reload();
    }
  }

  /** Applies one event; returns whether the list changed. Safe to apply twice. */
  private _apply(event: ChatEvent): boolean {
    const data = event.data;
    switch (event.type) {
      case 'chat.created':
        return isChatSummary(data) && !data.archived && this._merge([data]);
      case 'chat.updated': {
        const id = typeof data.id === 'string' ? data.id : null;
        const known = id === null ? undefined : this._byId.get(id);
        // Bulk changes (archive all) send only the fields that changed.
        const next = known ? { ...known, ...data } : data;
        if (!isChatSummary(next)) {
          return false;
        }
        if (next.archived) {
          return this._byId.delete(next.id);
        }
        return this._merge([next]);
      }
      case 'chat.deleted':
        if (data.all === true) {
          const hadItems = this._byId.size > 0 || this._cursor !== null;
          this._byId.clear();
          this._cursor = null;
          return hadItems;
        }
        return typeof data.id === 'string' && this._byId.delete(data.id);
      default:
        return false;
    }
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
  private _client: ChatApiClient;
  private _cursor: string | null = null;
  private _error: Error | null = null;
  private _events: ChatEventStream;
  private _generation = 0;
  private _inFlight = 0;
  private _isDisposed = false;
  private _items: readonly ChatSummary[] = [];
  private _loaded = false;
  private _missed: ChatEvent[] | null = null;
  private _started = false;
}

export namespace ChatListModel {
  export interface IOptions {
    client: ChatApiClient;
    events: ChatEventStream;
  }
}

/** The server's order: most recently updated first, ties broken by id, descending. */
function compareRecency(a: ChatSummary, b: ChatSummary): number {
  const byTime = Date.parse(b.updated_at) - Date.parse(a.updated_at);
  if (byTime !== 0) {
    return byTime;
  }
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

function isChatSummary(value: unknown): value is ChatSummary {
  const chat = value as Partial<ChatSummary> | null;
  return (
    typeof chat === 'object' &&
    chat !== null &&
    typeof chat.id === 'string' &&
    typeof chat.title === 'string' &&
    typeof chat.updated_at === 'string' &&
    typeof chat.archived === 'boolean'
  );
}

function toSummary(detail: ChatDetail): ChatSummary {
  // The list keeps summaries only, not a whole branch of messages per chat.
  const { current_message_id, meta, messages, ...summary } = detail;
  return summary;
}
