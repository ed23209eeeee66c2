import type { IStateDB } from '@jupyterlab/statedb';
import type { ReadonlyPartialJSONValue } from '@lumino/coreutils';

import type { ISource } from './messages';

/** Where unsent texts are kept in JupyterLab's state (saved with the workspace). */
export const DRAFTS_STATE = 'jupyter-chat-ext:drafts';
/** How many chats keep their unsent text: the ones typed in most recently. */
export const MAX_DRAFTS = 50;
/** Longer texts stay for the page's life but are not written into the workspace. */
export const MAX_SAVED_TEXT = 20_000;
/** How long typing pauses before what was typed is saved. */
export const SAVE_DELAY_MS = 1000;
/** Typing that goes on without a pause is saved this often all the same. */
export const MAX_SAVE_WAIT_MS = 5000;

/** What the shelf reads of a chat view's input. */
export interface IDraftLike {
  readonly text: string;
  readonly source: ISource | null;
  fill(text: string, options: { source?: ISource | null }): void;
}

/** A chat view, as the owner of what its input holds. */
export interface IDraftOwner {
  readonly isDisposed: boolean;
}

interface IKept {
  text: string;
  source: ISource | null;
  /** The open view whose input holds it; none once that view closed (or after a reload). */
  owner: IDraftOwner | null;
}

/** A kept text as saved: [chat id ('' for a new chat), text, source]. */
type Saved = [string, string, ISource | null];

/** Where the page leaving (a reload) puts everything kept, for the same tab to read back. */
export interface IDraftBackup {
  /** A key of the tab's session storage: one for each Jupyter server the tab may show. */
  key: string;
  storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
}

/** The backup in this tab's session storage of the texts kept for the server at `baseUrl`. */
export function tabBackup(baseUrl: string): IDraftBackup | null {
  try {
    return {
      key: `${DRAFTS_STATE}:${baseUrl}`,
      storage: window.sessionStorage
    };
  } catch {
    return null; // storage turned off: JupyterLab's state alone keeps the texts
  }
}

/**
 * What was typed and not sent in each chat ('' for a new chat, not stored yet), for the
 * next view of that chat: in this page (back to the list, another chat, moved to a tab)
 * and after a reload, through JupyterLab's state. Open views report their input as it
 * changes; the state is written once typing pauses, and when the page is hidden.
 *
 * A reload can come sooner than either write reaches the server (JupyterLab saves its
 * state a moment later still), so the page leaving also puts everything kept in the
 * tab's session storage, at once: the next page of the tab reads it back, then drops it.
 * Session storage, not local storage: it is the tab's alone, and goes with the tab, so a
 * text never outlives the tab on a shared computer.
 */
export class DraftShelf {
  constructor(
    private readonly _state: IStateDB | null = null,
    private readonly _backup: IDraftBackup | null = null
  ) {
    if (typeof document !== 'undefined') {
      document.addEventListener('visibilitychange', () => {
        if (document.visibilityState === 'hidden') {
          void this.flush();
        }
      });
    }
    if (typeof window !== 'undefined') {
      window.addEventListener('pagehide', () => this.leave());
    }
  }

  /** The page is leaving: everything kept goes to the backup now, synchronously. */
  leave(): void {
    if (!this._backup) {
      return;
    }
    try {
      this._backup.storage.setItem(
        this._backup.key,
        JSON.stringify(this._saved())
      );
    } catch (reason) {
      // Full, or turned off: JupyterLab's state still has what was saved before.
      console.warn('chat-ext: could not keep the unsent texts', reason);
    }
  }

  /** Reads what was kept before the page loaded; done before any view opens. */
  async fetch(): Promise<void> {
    let saved: unknown = this._takeBackup();
    if (Array.isArray(saved)) {
      // Newer than the state, which may have missed the last words: the state follows.
      this._scheduleSave();
    } else {
      try {
        saved = await this._state?.fetch(DRAFTS_STATE);
      } catch (reason) {
        console.warn('chat-ext: could not read the unsent texts', reason);
        return;
      }
    }
    if (!Array.isArray(saved)) {
      return;
    }
    for (const item of saved.slice(-MAX_DRAFTS)) {
      if (
        Array.isArray(item) &&
        typeof item[0] === 'string' &&
        typeof item[1] === 'string' &&
        item[1].trim() &&
        // What was typed here since the page loaded is newer.
        !this._kept.has(item[0])
      ) {
        this._kept.set(item[0], {
          text: item[1],
          source: isSource(item[2]) ? item[2] : null,
          owner: null
        });
      }
    }
  }

  /**
   * Gives what was kept for the chat to `draft`, if it is empty and no other open view of
   * the chat holds the text (one new chat's text goes to one new chat only).
   */
  restore(owner: IDraftOwner, chatId: string | null, draft: IDraftLike): void {
    const kept = this._kept.get(chatId ?? '');
    if (
      !kept ||
      draft.text.trim() ||
      (kept.owner && kept.owner !== owner && !kept.owner.isDisposed)
    ) {
      return;
    }
    kept.owner = owner;
    draft.fill(kept.text, { source: kept.source });
  }

  /** Keeps what `owner`'s input holds now for its chat (an empty input keeps nothing). */
  note(owner: IDraftOwner, chatId: string | null, draft: IDraftLike): void {
    const key = chatId ?? '';
    let changed = false;
    // A new chat that got its id takes its text along: nothing is left under ''.
    for (const [other, kept] of this._kept) {
      if (other !== key && kept.owner === owner) {
        this._kept.delete(other);
        changed = true;
      }
    }
    const kept = this._kept.get(key);
    if (!draft.text.trim()) {
      changed = this._kept.delete(key) || changed;
    } else if (
      !kept ||
      kept.text !== draft.text ||
      kept.source !== draft.source ||
      kept.owner !== owner
    ) {
      // Latest last: the oldest go first when there are too many.
      this._kept.delete(key);
      this._kept.set(key, { text: draft.text, source: draft.source, owner });
      for (const oldest of this._kept.keys()) {
        if (this._kept.size <= MAX_DRAFTS) {
          break;
        }
        this._kept.delete(oldest);
      }
      changed = true;
    }
    if (changed) {
      this._scheduleSave();
    }
  }

  /** The view closes: its text waits for the next view of the chat. */
  release(owner: IDraftOwner, chatId: string | null, draft: IDraftLike): void {
    this.note(owner, chatId, draft);
    const kept = this._kept.get(chatId ?? '');
    if (kept?.owner === owner) {
      kept.owner = null;
    }
  }

  /** Writes a pending change now. */
  async flush(): Promise<void> {
    if (this._timer === null) {
      return;
    }
    clearTimeout(this._timer);
    this._timer = null;
    const state = this._state;
    if (!state) {
      return;
    }
    const saved = this._saved();
    try {
      if (saved.length) {
        await state.save(
          DRAFTS_STATE,
          saved as unknown as ReadonlyPartialJSONValue
        );
      } else {
        await state.remove(DRAFTS_STATE);
      }
    } catch (reason) {
      console.warn('chat-ext: could not save the unsent texts', reason);
    }
  }

  /** What is written: each chat's text that is not too long, oldest first. */
  private _saved(): Saved[] {
    const saved: Saved[] = [];
    for (const [key, kept] of this._kept) {
      if (kept.text.length <= MAX_SAVED_TEXT) {
        saved.push([key, kept.text, kept.source]);
      }
    }
    return saved;
  }

  /** What the tab's last page left, once (undefined when it left nothing readable). */
  private _takeBackup(): unknown {
    if (!this._backup) {
      return undefined;
    }
    try {
      const { key, storage } = this._backup;
      const raw = storage.getItem(key);
      storage.removeItem(key);
      return raw === null ? undefined : JSON.parse(raw);
    } catch {
      return undefined; // not JSON, or no storage: the state is read instead
    }
  }

  private _scheduleSave(): void {
    const now = Date.now();
    if (this._timer !== null) {
      if (now - this._pendingSince >= MAX_SAVE_WAIT_MS) {
        return; // due soon: typing goes on, the save does not wait for a pause
      }
      clearTimeout(this._timer);
    } else {
      this._pendingSince = now;
    }
    const wait = Math.min(
      SAVE_DELAY_MS,
      this._pendingSince + MAX_SAVE_WAIT_MS - now
    );
    this._timer = setTimeout(() => void this.flush(), wait);
  }

  private _kept = new Map<string, IKept>();
  private _pendingSince = 0;
  private _timer: ReturnType<typeof setTimeout> | null = null;
}

function isSource(value: unknown): value is ISource {
  const source = value as ISource | null;
  return (
    typeof source === 'object' &&
    source !== null &&
    typeof source.notebook === 'string' &&
    ['cell', 'error', 'selection'].includes(source.kind)
  );
}
