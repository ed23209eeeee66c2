import { ISignal, Signal } from '@lumino/signaling';

import {
  ChatApiClient,
  CurrentUser,
  ModelInfo,
  ModelList
} from '../api/client';

/** How long a model list is reused before opening a selector fetches it again. */
const FRESH_MS = 15000;

/**
 * The models and presets the user can pick, and who the user is: fetched once and
 * shared by every chat view.
 */
export class ModelCatalog {
  constructor(private _client: ChatApiClient) {}

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The models that chat: embedding models answer other programs, not chats. */
  get models(): readonly ModelInfo[] {
    return this._chatModels;
  }

  /** Connections that could not be listed, by name. */
  get connectionErrors(): Readonly<Record<string, string>> {
    return this._list?.errors ?? {};
  }

  /** Whether a list has arrived, so that "no models" means none is available. */
  get loaded(): boolean {
    return this._list !== null;
  }

  /** Why the last fetch failed; with a list loaded, that list is the last one fetched. */
  get error(): Error | null {
    return this._error;
  }

  /** When the list in use was fetched (ms since the epoch; 0 before the first). */
  get fetchedAt(): number {
    return this._fetchedAt;
  }

  get user(): CurrentUser | null {
    return this._user;
  }

  get isAdmin(): boolean {
    return this._user?.role === 'admin';
  }

  find(id: string | null | undefined): ModelInfo | undefined {
    return id ? this.models.find(model => model.id === id) : undefined;
  }

  /** Fetches the list unless it is fresh (or `force`); concurrent calls share one request. */
  refresh(force = false): Promise<void> {
    if (this._pending) {
      // The list on its way may predate the change that forces this one: ask again after.
      return force
        ? this._pending.then(() => this.refresh(true))
        : this._pending;
    }
    if (!force && this._list && Date.now() - this._fetchedAt < FRESH_MS) {
      return Promise.resolve();
    }
    this._pending = this._fetch().finally(() => {
      this._pending = null;
    });
    return this._pending;
  }

  private async _fetch(): Promise<void> {
    try {
      const [list, user] = await Promise.all([
        this._client.listModelsAndErrors(),
        this._user ? Promise.resolve(this._user) : this._client.currentUser()
      ]);
      this._list = list;
      this._chatModels = list.items.filter(model => !model.embedding);
      this._user = user;
      this._error = null;
      this._fetchedAt = Date.now();
    } catch (error) {
      this._error = error instanceof Error ? error : new Error(String(error));
    }
    this._changed.emit();
  }

  private _changed = new Signal<this, void>(this);
  private _chatModels: readonly ModelInfo[] = [];
  private _error: Error | null = null;
  private _fetchedAt = 0;
  private _list: ModelList | null = null;
  private _pending: Promise<void> | null = null;
  private _user: CurrentUser | null = null;
}
