import { Signal } from '@lumino/signaling';

import type { ChatDetail, ChatEvent } from '../api/client';
import {
  branchWindow,
  findMessage,
  leafOf,
  Plan,
  replaceMessage
} from './branch';
import type { IFailure, IViewMessage } from './messages';
import { ChatSettings, settingsOf } from './settings';

/**
 * What one chat view shows and is waiting for, shared by the parts that change it: the
 * view model's actions, the answers it follows (`AnswerFollower`) and the changes made
 * elsewhere (`RemoteChanges`). Each change replaces `messages` with a new list.
 */
export class ChatState {
  constructor(chatId: string | null) {
    this.chatId = chatId;
  }

  /** Structure and status changes: messages added, replaced or removed, chat renamed. */
  readonly changed = new Signal<this, void>(this);
  /** A streaming message gained text or reasoning (its id). */
  readonly textChanged = new Signal<this, string>(this);
  /** The chat got its id (a new chat's first message was stored). */
  readonly chatIdChanged = new Signal<this, string>(this);

  chatId: string | null;
  title = '';
  /** The chat's own system prompt and parameters (a new chat's, until its first send). */
  settings: ChatSettings | null = null;
  /** The branch shown: its latest part, from position `firstIndex` on. */
  get messages(): IViewMessage[] {
    return this._messages;
  }

  set messages(messages: IViewMessage[]) {
    for (const message of messages) {
      if (message.streaming) {
        this._watched.add(message.id);
      }
    }
    this._messages = messages;
  }

  firstIndex = 0;
  failure: IFailure | null = null;
  deleted = false;
  disposed = false;
  /** A request of this view not answered yet, and the events that came meanwhile. */
  plan: Plan | null = null;
  missed: ChatEvent[] = [];
  /** Answers whose own stream this view reads (events about them are redundant). */
  readonly following = new Set<string>();
  /** The text of answers being written, ahead of their stored copies. */
  readonly live = new Map<string, string>();
  /** Their reasoning, likewise. */
  readonly liveReasoning = new Map<string, string>();
  /** Ends every request of this view when it closes. */
  readonly abort = new AbortController();

  /**
   * Whether `message` failed while this view showed it being written: its error is news,
   * to be announced. Errors stored before (shown on opening the chat or switching to its
   * branch) are only shown.
   */
  failedInView(message: IViewMessage): boolean {
    return (
      message.meta?.status === 'error' &&
      !message.streaming &&
      this._watched.has(message.id)
    );
  }

  textOf(message: IViewMessage): string {
    return this.live.get(message.id) ?? message.content;
  }

  /** What a reasoning model thought before this answer ('' for other models). */
  reasoningOf(message: IViewMessage): string {
    const stored = message.meta?.reasoning;
    return (
      this.liveReasoning.get(message.id) ??
      (typeof stored === 'string' ? stored : '')
    );
  }

  /**
   * Adds to an answer's live text ('delta') or reasoning ('reasoning'), after what it
   * already shows (its stored copy, for an answer written elsewhere); announces it.
   */
  append(id: string, kind: 'delta' | 'reasoning', text: string): void {
    const message = this.find(id);
    if (kind === 'delta') {
      const before = message ? this.textOf(message) : (this.live.get(id) ?? '');
      this.live.set(id, before + text);
    } else {
      const before = message
        ? this.reasoningOf(message)
        : (this.liveReasoning.get(id) ?? '');
      this.liveReasoning.set(id, before + text);
    }
    this.textChanged.emit(id);
  }

  /** Drops what was kept of an answer while it streamed (its stored copy has it all). */
  forgetLive(id: string): void {
    this.live.delete(id);
    this.liveReasoning.delete(id);
  }

  find(id: string): IViewMessage | undefined {
    return findMessage(this.messages, id);
  }

  leafId(): string | null {
    return leafOf(this.messages);
  }

  replace(id: string, changes: Partial<IViewMessage>): void {
    this.messages = replaceMessage(this.messages, id, changes);
  }

  /** Merges `meta` into a message's, optionally setting whether it streams; announces it. */
  patchMeta(
    id: string,
    meta: Record<string, unknown>,
    streaming?: boolean
  ): void {
    const message = this.find(id);
    if (message) {
      this.replace(id, {
        meta: { ...message.meta, ...meta },
        ...(streaming === undefined ? {} : { streaming })
      });
      this.changed.emit();
    }
  }

  /** Shows a fetched branch: its last `keep` messages. */
  setBranch(detail: ChatDetail, keep: number): void {
    const shown = branchWindow(detail, keep);
    // A branch fetched again is shown as stored: only what is written from now on is news.
    this._watched.clear();
    this.firstIndex = shown.firstIndex;
    this.messages = shown.messages;
    this.title = detail.title;
    this.settings = settingsOf(detail.meta);
    this.live.clear();
    this.liveReasoning.clear();
  }

  private _messages: IViewMessage[] = [];
  // Answers shown being written since the branch was last fetched.
  private readonly _watched = new Set<string>();
}
