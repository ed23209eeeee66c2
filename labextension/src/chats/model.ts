import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import {
  ChatApiClient,
  ChatDetail,
  ChatEvent,
  ChatListQuery,
  ChatSummary,
  ChatUpdate,
  ExportFormat,
  Folder,
  IDownload,
  TagCount
} from '../api/client';
import { ChatEventStream } from '../api/events';
import { descendantIds } from './grouping';
import { importBatches } from './importing';
import { ChatChange, ChatPager } from './pager';

/** What narrows the list: a search, a tag, the archived chats. */
export interface IChatFilter {
  q: string;
  tag: string;
  archived: boolean;
}

const NO_FILTER: IChatFilter = { q: '', tag: '', archived: false };

/**
 * The current user's chats as the list shows them, kept live by the event stream.
 *
 * Browsing, it holds three kinds of list: the pinned chats, the unpinned chats at the top
 * level, and each open folder's chats. With a search, a tag or the archived view, one list
 * answers that filter instead. Folders and tags are loaded whole (they are few).
 */
export class ChatListModel implements IDisposable {
  constructor(options: ChatListModel.IOptions) {
    this.client = options.client;
    this._events = options.events;
    this._events.received.connect(this._onEvent, this);
    this._events.reconnected.connect(this._onReconnected, this);
    this.pinned = this._pager({ pinned: true });
    this.recent = this._pager({ folder_id: 'none', pinned: false });
    // Pinned chats are few and shown whole, above the paged list: load every page.
    this.pinned.changed.connect(pager => {
      if (pager.loaded && pager.hasMore && !pager.loading && !pager.error) {
        void pager.loadMore();
      }
    });
  }

  readonly client: ChatApiClient;

  /** Pinned chats, wherever they are filed. */
  readonly pinned: ChatPager;

  /** Unpinned chats outside any folder. */
  readonly recent: ChatPager;

  /** Emitted on any change to what the list shows. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get filter(): IChatFilter {
    return this._filter;
  }

  /** Whether a filter is on, so that `results` is what to show. */
  get filtering(): boolean {
    const { q, tag, archived } = this._filter;
    return q !== '' || tag !== '' || archived;
  }

  /** The chats matching the filter, while one is on. */
  get results(): ChatPager | null {
    return this._results;
  }

  get folders(): readonly Folder[] {
    return this._folders;
  }

  get tags(): readonly TagCount[] {
    return this._tags;
  }

  /** Why folders or tags could not be loaded, until they are. */
  get error(): Error | null {
    return this._error;
  }

  /** The chat to show as selected (the one open in the panel), if any. */
  get activeChatId(): string | null {
    return this._activeChatId;
  }

  set activeChatId(id: string | null) {
    if (id !== this._activeChatId) {
      this._activeChatId = id;
      this._changed.emit();
    }
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Loads the first pages and starts listening, once; later calls do nothing. */
  start(): void {
    if (this._started) {
      return;
    }
    this._started = true;
    this._events.start();
    void this.reload();
  }

  /** Reloads everything shown. */
  async reload(): Promise<void> {
    const pagers = [this.pinned, this.recent, ...this._folderPagers.values()];
    if (this._results) {
      pagers.push(this._results);
    }
    await Promise.all([
      ...pagers.map(pager => pager.reload()),
      this._loadFolders(),
      this._loadTags()
    ]);
  }

  setFilter(change: Partial<IChatFilter>): void {
    const next = { ...this._filter, ...change };
    next.q = next.q.trim();
    const { q, tag, archived } = next;
    if (
      q === this._filter.q &&
      tag === this._filter.tag &&
      archived === this._filter.archived
    ) {
      return;
    }
    this._filter = next;
    this._results?.dispose();
    this._results = null;
    if (this.filtering) {
      this._results = this._pager({
        q: q || undefined,
        tag: tag || undefined,
        archived
      });
      void this._results.reload();
    }
    this._changed.emit();
  }

  clearFilter(): void {
    this.setFilter(NO_FILTER);
  }

  /** The chats of an open folder (loaded when it was opened). */
  folderChats(folderId: string): ChatPager | undefined {
    return this._folderPagers.get(folderId);
  }

  isExpanded(folderId: string): boolean {
    return this._expanded.has(folderId);
  }

  setExpanded(folderId: string, expanded: boolean): void {
    if (expanded === this._expanded.has(folderId)) {
      return;
    }
    if (expanded) {
      this._expanded.add(folderId);
      if (!this._folderPagers.has(folderId)) {
        const pager = this._pager({ folder_id: folderId });
        this._folderPagers.set(folderId, pager);
        void pager.reload();
      }
    } else {
      this._expanded.delete(folderId);
    }
    this._changed.emit();
  }

  /** Any chat some list holds, by id. */
  findChat(id: string): ChatSummary | undefined {
    for (const pager of this._allPagers()) {
      const chat = pager.get(id);
      if (chat) {
        return chat;
      }
    }
    return undefined;
  }

  // ---- Chat actions: each shows its result at once, without waiting for the event ----

  /** Creates an untitled chat, optionally in a folder. */
  async createChat(folderId: string | null = null): Promise<ChatSummary> {
    return this._applyDetail(
      await this.client.createChat({ folder_id: folderId })
    );
  }

  updateChat(id: string, change: ChatUpdate): Promise<ChatSummary> {
    return this._run(this.client.updateChat(id, change));
  }

  rename(id: string, title: string): Promise<ChatSummary> {
    return this.updateChat(id, { title });
  }

  moveToFolder(id: string, folderId: string | null): Promise<ChatSummary> {
    return this.updateChat(id, { folder_id: folderId });
  }

  async addTag(id: string, name: string): Promise<ChatSummary> {
    const chat = await this._run(this.client.addTag(id, name));
    void this._loadTags();
    return chat;
  }

  async removeTag(id: string, name: string): Promise<ChatSummary> {
    const chat = await this._run(this.client.removeTag(id, name));
    void this._loadTags();
    return chat;
  }

  clone(id: string): Promise<ChatSummary> {
    return this._run(this.client.cloneChat(id));
  }

  exportChat(id: string, format: ExportFormat): Promise<IDownload> {
    return this.client.exportChat(id, format);
  }

  // ---- Every chat at once ----

  exportAll(): Promise<IDownload> {
    return this.client.exportAllChats();
  }

  /**
   * Imports a chats file (already parsed), in as many requests as its size takes;
   * resolves to how many chats came in. A file in parts is checked whole first, so a part
   * the server refuses leaves nothing of the others behind. A request that fails after
   * that (the server gone, say) stops it, with an `ImportStopped` that says how many came
   * in before.
   */
  async importChats(document: unknown): Promise<number> {
    const batches = importBatches(document);
    if (batches.length > 1) {
      for (const batch of batches) {
        await this.client.checkImport(batch);
      }
    }
    let imported = 0;
    try {
      for (const batch of batches) {
        imported += (await this.client.importChats(batch)).items.length;
      }
    } catch (error) {
      throw imported > 0 ? new ImportStopped(imported, error) : error;
    } finally {
      if (imported > 0) {
        void this.reload();
      }
    }
    return imported;
  }

  async archiveAll(): Promise<number> {
    const { count } = await this.client.archiveAllChats();
    await this.reload();
    return count;
  }

  async deleteAll(): Promise<number> {
    const { count } = await this.client.deleteAllChats();
    this._broadcast({ kind: 'clear' });
    this.activeChatId = null;
    void this._loadTags();
    return count;
  }

  async deleteChat(id: string): Promise<void> {
    await this.client.deleteChat(id);
    this._broadcast({ kind: 'remove', id });
    void this._loadTags();
  }

  // ---- Folders ----

  async createFolder(name: string, parentId: string | null): Promise<Folder> {
    const folder = await this.client.createFolder({
      name,
      parent_id: parentId
    });
    this._upsertFolder(folder);
    if (parentId) {
      this.setExpanded(parentId, true);
    }
    return folder;
  }

  async renameFolder(id: string, name: string): Promise<Folder> {
    const folder = await this.client.updateFolder(id, { name });
    this._upsertFolder(folder);
    return folder;
  }

  async moveFolder(id: string, parentId: string | null): Promise<Folder> {
    const folder = await this.client.updateFolder(id, { parent_id: parentId });
    this._upsertFolder(folder);
    return folder;
  }

  async deleteFolder(id: string): Promise<void> {
    await this.client.deleteFolder(id);
    this._removeFolder(id);
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    for (const pager of this._allPagers()) {
      pager.dispose();
    }
    Signal.clearData(this);
  }

  private _pager(query: ChatListQuery): ChatPager {
    const pager = new ChatPager(this.client, query);
    pager.changed.connect(() => this._changed.emit());
    return pager;
  }

  private *_allPagers(): IterableIterator<ChatPager> {
    yield this.pinned;
    yield this.recent;
    yield* this._folderPagers.values();
    if (this._results) {
      yield this._results;
    }
  }

  private async _run(request: Promise<ChatDetail>): Promise<ChatSummary> {
    return this._applyDetail(await request);
  }

  private _applyDetail(detail: ChatDetail): ChatSummary {
    const chat = toSummary(detail);
    this._broadcast({ kind: 'upsert', chat });
    return chat;
  }

  private _broadcast(change: ChatChange): void {
    for (const pager of this._allPagers()) {
      pager.apply(change);
    }
  }

  private async _loadFolders(): Promise<void> {
    try {
      this._folders = await this.client.listFolders();
      this._error = null;
    } catch (error) {
      this._error = error instanceof Error ? error : new Error(String(error));
    }
    this._changed.emit();
  }

  private async _loadTags(): Promise<void> {
    try {
      this._tags = await this.client.listTags();
    } catch (error) {
      this._error = error instanceof Error ? error : new Error(String(error));
    }
    this._changed.emit();
  }

  private _upsertFolder(folder: Folder): void {
    this._folders = [
      ...this._folders.filter(known => known.id !== folder.id),
      folder
    ];
    this._changed.emit();
  }

  private _removeFolder(id: string): void {
    const gone = descendantIds(this._folders, id);
    if (!this._folders.some(folder => gone.has(folder.id))) {
      return;
    }
    this._folders = this._folders.filter(folder => !gone.has(folder.id));
    for (const folderId of gone) {
      this._folderPagers.get(folderId)?.dispose();
      this._folderPagers.delete(folderId);
      this._expanded.delete(folderId);
    }
    // Their chats moved to the top level without an event of their own.
    void this.recent.reload();
    void this.pinned.reload();
    void this._results?.reload();
    this._changed.emit();
  }

  private _onEvent(_: ChatEventStream, event: ChatEvent): void {
    const data = event.data;
    switch (event.type) {
      case 'chat.created':
      case 'chat.updated': {
        const id = typeof data.id === 'string' ? data.id : null;
        const known = id === null ? undefined : this.findChat(id);
        // Bulk changes (archive all) send only the fields that changed.
        const chat = known ? { ...known, ...data } : data;
        if (isChatSummary(chat)) {
          this._broadcast({ kind: 'upsert', chat: stripDetail(chat) });
        } else if (id !== null && data.archived === true) {
          this._broadcast({ kind: 'remove', id });
          void this._results?.reload();
        }
        this._scheduleTags();
        break;
      }
      case 'chat.deleted':
        if (data.all === true) {
          this._broadcast({ kind: 'clear' });
        } else if (typeof data.id === 'string') {
          this._broadcast({ kind: 'remove', id: data.id });
        }
        this._scheduleTags();
        break;
      case 'folder.created':
      case 'folder.updated':
        if (isFolder(data)) {
          this._upsertFolder(data);
        }
        break;
      case 'folder.deleted':
        if (typeof data.id === 'string') {
          this._removeFolder(data.id);
        }
        break;
      default:
        break;
    }
  }

  /** Tag counts follow chat changes; a burst of events reloads them once. */
  private _scheduleTags(): void {
    window.clearTimeout(this._tagsTimer);
    this._tagsTimer = window.setTimeout(() => void this._loadTags(), 300);
  }

  private _onReconnected(): void {
    if (this._started) {
      void this.reload();
    }
  }

  private _activeChatId: string | null = null;
  private _changed = new Signal<this, void>(this);
  private _error: Error | null = null;
  private _events: ChatEventStream;
  private _expanded = new Set<string>();
  private _filter: IChatFilter = NO_FILTER;
  private _folderPagers = new Map<string, ChatPager>();
  private _folders: readonly Folder[] = [];
  private _isDisposed = false;
  private _results: ChatPager | null = null;
  private _started = false;
  private _tags: readonly TagCount[] = [];
  private _tagsTimer = 0;
}

export namespace ChatListModel {
  export interface IOptions {
    client: ChatApiClient;
    events: ChatEventStream;
  }
}

function isChatSummary(value: unknown): value is ChatSummary {
  const chat = value as Partial<ChatSummary> | null;
  return (
    typeof chat === 'object' &&
    chat !== null &&
    typeof chat.id === 'string' &&
    typeof chat.title === 'string' &&
    typeof chat.updated_at === 'string' &&
    typeof chat.archived === 'boolean' &&
    typeof chat.pinned === 'boolean' &&
    Array.isArray(chat.tags)
  );
}

function isFolder(value: unknown): value is Folder {
  const folder = value as Partial<Folder> | null;
  return (
    typeof folder === 'object' &&
    folder !== null &&
    typeof folder.id === 'string' &&
    typeof folder.name === 'string'
  );
}

/** The summary fields of an event's chat; details such as messages are dropped. */
function stripDetail(chat: ChatSummary): ChatSummary {
  const { id, title, pinned, archived, folder_id, tags } = chat;
  return {
    id,
    title,
    pinned,
    archived,
    folder_id: folder_id ?? null,
    tags,
    created_at: chat.created_at,
    updated_at: chat.updated_at
  };
}

function toSummary(detail: ChatDetail): ChatSummary {
  return stripDetail(detail);
}

/** An import that a request stopped after some of its chats came in. */
export class ImportStopped extends Error {
  constructor(
    readonly imported: number,
    readonly reason: unknown
  ) {
    super(reason instanceof Error ? reason.message : String(reason));
  }
}
