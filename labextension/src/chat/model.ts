import { UUID } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { ChatApiClient, CompletionRequest } from '../api/client';
import { ChatEventStream } from '../api/events';
import { Plan } from './branch';
import { AnswerFollower } from './following';
import {
  IFailure,
  ISource,
  IViewMessage,
  isNotFound,
  isPending,
  pendingMessage
} from './messages';
import { RemoteChanges } from './remote';
import { ChatSettings, hasSettings, settingsOf } from './settings';
import { ChatState } from './state';

/** Messages fetched at a time: the latest when a chat opens, more on scrolling up. */
export const PAGE_SIZE = 40;

/**
 * One chat as a chat view shows it: its current branch (or the latest part of a long
 * one), the answers being written, and the actions on them. Answers this view asks
 * for, or re-attaches to, are read by an `AnswerFollower`; changes made elsewhere
 * (another tab, the kernel) arrive through `RemoteChanges`. Both work on the shared
 * `ChatState`.
 */
export class ChatViewModel implements IDisposable {
  constructor(options: ChatViewModel.IOptions) {
    this._client = options.client;
    this._state = new ChatState(options.chatId);
    this._remote = new RemoteChanges(
      this._state,
      this._client,
      options.events,
      () => this.load()
    );
    this._answers = new AnswerFollower(this._state, this._client, event =>
      this._remote.apply(event)
    );
    this._state.chatIdChanged.connect(this._sendLateSettings, this);
  }

  /** Structure and status changes: messages added, replaced or removed, chat renamed. */
  get changed(): ISignal<ChatState, void> {
    return this._state.changed;
  }

  /** A streaming message gained text (its id). */
  get textChanged(): ISignal<ChatState, string> {
    return this._state.textChanged;
  }

  /** The chat got its id (a new chat's first message was stored). */
  get chatIdChanged(): ISignal<ChatState, string> {
    return this._state.chatIdChanged;
  }

  get chatId(): string | null {
    return this._state.chatId;
  }

  get title(): string {
    return this._state.title;
  }

  get messages(): readonly IViewMessage[] {
    return this._state.messages;
  }

  get loaded(): boolean {
    return this._loaded;
  }

  /** Whether older messages of the branch are not loaded yet. */
  get hasEarlier(): boolean {
    return this._state.firstIndex > 0;
  }

  get loadingEarlier(): boolean {
    return this._loadingEarlier;
  }

  get failure(): IFailure | null {
    return this._state.failure;
  }

  /** Whether the chat was deleted while shown. */
  get deleted(): boolean {
    return this._state.deleted;
  }

  /** The answer being written in this chat's branch, if any. */
  get streamingId(): string | null {
    const message = this._state.messages.find(m => m.streaming);
    return message ? message.id : null;
  }

  /** Whether a request of this view has not been answered yet. */
  get sending(): boolean {
    return this._state.plan !== null;
  }

  get isDisposed(): boolean {
    return this._state.disposed;
  }

  /** Whether `message` failed while this view showed it being written (not a stored error). */
  failedInView(message: IViewMessage): boolean {
    return this._state.failedInView(message);
  }

  /** The text of a message as far as it has been written. */
  textOf(message: IViewMessage): string {
    return this._state.textOf(message);
  }

  reasoningOf(message: IViewMessage): string {
    return this._state.reasoningOf(message);
  }

  /** Loads the latest messages, and re-attaches to an answer still being written. */
  async load(): Promise<void> {
    const state = this._state;
    const chatId = state.chatId;
    if (chatId === null) {
      this._loaded = true;
      state.changed.emit();
      return;
    }
    state.failure = null;
    try {
      const [running, detail] = await Promise.all([
        this._client.listRunning(),
        this._client.getChat(chatId, { tail: PAGE_SIZE })
      ]);
      if (state.disposed) {
        return;
      }
      state.setBranch(detail, PAGE_SIZE);
      const runningIds = new Set(running.items.map(item => item.message_id));
      for (const message of state.messages) {
        if (!message.streaming || state.following.has(message.id)) {
          continue;
        }
        if (runningIds.has(message.id)) {
          this._answers.attach(message.id);
        } else {
          // It ended between the two requests: its stored copy is complete now.
          void this._answers.settle(message.id, true);
        }
      }
    } catch (error) {
      if (isNotFound(error)) {
        state.deleted = true;
      } else {
        state.failure = { error, retry: () => this.load() };
      }
    }
    this._loaded = true;
    state.changed.emit();
  }

  /** Loads the messages before the first one shown. */
  async loadEarlier(): Promise<void> {
    const state = this._state;
    const first = state.messages[0];
    if (!state.chatId || !first || !this.hasEarlier || this._loadingEarlier) {
      return;
    }
    this._loadingEarlier = true;
    state.changed.emit();
    try {
      const detail = await this._client.getChat(state.chatId, {
        tail: PAGE_SIZE,
        before: first.id
      });
      if (state.messages[0] === first) {
        state.messages = [...detail.messages, ...state.messages];
        state.firstIndex = detail.first_index;
      }
    } catch (error) {
      state.failure = {
        error,
        retry: () => void this.loadEarlier()
      };
    } finally {
      this._loadingEarlier = false;
      state.changed.emit();
    }
  }

  /** The chat's own system prompt and parameters, or null. */
  get settings(): ChatSettings | null {
    return this._state.settings;
  }

  /**
   * Sets the chat's settings (null clears them); throws what the server refused. A chat
   * not stored yet keeps them until its first message, which carries them to the server.
   */
  async saveSettings(settings: ChatSettings | null): Promise<void> {
    const state = this._state;
    if (state.chatId === null) {
      state.settings = hasSettings(settings) ? settings : null;
    } else {
      const detail = await this._client.updateChat(
        state.chatId,
        { settings },
        { tail: 1 }
      );
      state.settings = settingsOf(detail.meta);
    }
    state.changed.emit();
  }

  /**
   * Sends a user message to `model`, as a reply to the last message shown. Resolves to
   * whether the server took it: when not, nothing was stored, and the caller gives the
   * text back to the user to send again.
   */
  send(content: string, model: string, source?: ISource): Promise<boolean> {
    const state = this._state;
    const leaf = state.messages[state.messages.length - 1];
    // Where it came from is stored with the message, in the same request.
    const meta = source ? { source } : undefined;
    const pendingUser = {
      ...pendingMessage('user', content, leaf?.id ?? null),
      meta: meta ?? {}
    };
    state.messages = [...state.messages, pendingUser];
    // A new chat's settings go with its first message, which makes the chat with them.
    const settings = state.chatId === null ? state.settings : null;
    this._sentSettings = settings;
    return this._start(
      {
        model,
        chat_id: state.chatId,
        content,
        meta,
        ...(settings ? { settings } : {})
      },
      { kind: 'send', pendingUser },
      null
    );
  }

  /** Answers again in place of `message` (an answer), as its new sibling. */
  regenerate(message: IViewMessage, model: string): Promise<boolean> {
    const state = this._state;
    const index = state.messages.indexOf(message);
    if (index < 0 || !state.chatId) {
      return Promise.resolve(false);
    }
    const pendingAnswer = {
      ...pendingMessage('assistant', '', message.parent_id),
      model,
      streaming: true
    };
    pendingAnswer.sibling_ids = [...message.sibling_ids, pendingAnswer.id];
    state.messages = [...state.messages.slice(0, index), pendingAnswer];
    return this._start(
      { model, chat_id: state.chatId, regenerate: message.id },
      { kind: 'regenerate', target: message, pendingAnswer },
      () => void this.regenerate(message, model)
    );
  }

  /** Replaces a user message with `content` (a new sibling: a branch) and answers it. */
  edit(
    message: IViewMessage,
    content: string,
    model: string
  ): Promise<boolean> {
    const state = this._state;
    const index = state.messages.indexOf(message);
    if (index < 0 || !state.chatId) {
      return Promise.resolve(false);
    }
    const pendingUser = pendingMessage('user', content, message.parent_id);
    pendingUser.sibling_ids = [...message.sibling_ids, pendingUser.id];
    state.messages = [...state.messages.slice(0, index), pendingUser];
    return this._start(
      {
        model,
        chat_id: state.chatId,
        content,
        // Explicitly null for the first message: a new root.
        parent_id: message.parent_id
      },
      { kind: 'edit', pendingUser, edited: message },
      // Refused, the edit opens again with its text (see `takeRefusedEdit`).
      null
    );
  }

  /**
   * The text of an edit of `messageId` that the server refused (nothing was stored), once:
   * the message's edit box opens again with it instead of losing what was typed.
   */
  takeRefusedEdit(messageId: string): string | null {
    const refused = this._refusedEdit;
    if (refused?.id !== messageId) {
      return null;
    }
    this._refusedEdit = null;
    return refused.text;
  }

  /** Stops the answer being written; what was written is kept. */
  async stop(): Promise<void> {
    const id = this.streamingId;
    if (!id) {
      return;
    }
    try {
      if (!isPending(id)) {
        await this._client.stopCompletion(id);
      } else if (this._requestId) {
        // The server has not named the answer yet: stopped by the request's own name, it
        // ends as it begins, before the model is asked.
        await this._client.stopRequest(this._requestId);
      }
    } catch (error) {
      // Already finished: the stream's own end shows how.
      if (!isNotFound(error)) {
        this._state.failure = { error, retry: null };
        this._state.changed.emit();
      }
    }
  }

  /** Shows the branch through `siblingId`, a sibling of a message shown. */
  async showSibling(siblingId: string): Promise<void> {
    const state = this._state;
    if (!state.chatId || this.sending) {
      return;
    }
    try {
      const keep = Math.max(PAGE_SIZE, state.messages.length);
      const detail = await this._client.updateChat(
        state.chatId,
        { current_message_id: siblingId },
        { tail: keep }
      );
      state.setBranch(detail, keep);
    } catch (error) {
      state.failure = { error, retry: null };
    }
    state.changed.emit();
  }

  dismissFailure(): void {
    this._state.failure = null;
    this._state.changed.emit();
  }

  dispose(): void {
    const state = this._state;
    if (state.disposed) {
      return;
    }
    state.disposed = true;
    // Closing a view stops listening, not the answer: it goes on being written.
    state.abort.abort();
    this._remote.dispose();
    Signal.clearData(state);
  }

  /** Resolves to whether the server took the request (its answer started). */
  private async _start(
    request: CompletionRequest,
    plan: Plan,
    retry: (() => void) | null
  ): Promise<boolean> {
    const state = this._state;
    const before = state.messages;
    state.failure = null;
    this._refusedEdit = null;
    state.plan = plan;
    state.changed.emit();
    const requestId = UUID.uuid4();
    this._requestId = requestId;
    try {
      await this._answers.follow(
        this._client.complete(
          { ...request, request_id: requestId },
          state.abort.signal
        ),
        plan
      );
      return true;
    } catch (error) {
      if (state.disposed) {
        return false;
      }
      if (plan.kind === 'edit') {
        this._refusedEdit = {
          id: plan.edited.id,
          text: plan.pendingUser.content
        };
      }
      // Nothing was stored: show the branch as it was, and what went wrong.
      if (state.plan === plan) {
        state.plan = null;
        state.messages = before.filter(m => !isPending(m.id));
        if (plan.kind !== 'send') {
          void this.load();
        }
      }
      state.failure = { error, retry };
      state.changed.emit();
      return false;
    } finally {
      if (this._requestId === requestId) {
        this._requestId = null;
      }
    }
  }

  /**
   * Settings changed while a new chat's first message was on its way went with no request:
   * they are saved once the chat exists, as the user saw them saved.
   */
  private _sendLateSettings(): void {
    const settings = this._state.settings;
    if (settings === this._sentSettings) {
      return;
    }
    this._sentSettings = settings;
    this.saveSettings(settings).catch(error => {
      this._state.failure = {
        error,
        retry: () => this._sendLateSettings()
      };
      this._sentSettings = undefined;
      this._state.changed.emit();
    });
  }

  private _answers: AnswerFollower;
  private _refusedEdit: { id: string; text: string } | null = null;
  // The name of the request whose answer the server has not named yet (see `stop`).
  private _requestId: string | null = null;
  private _client: ChatApiClient;
  private _loaded = false;
  private _loadingEarlier = false;
  private _remote: RemoteChanges;
  // What the first message of a new chat carried (undefined: nothing sent yet).
  private _sentSettings: ChatSettings | null | undefined = undefined;
  private _state: ChatState;
}

export namespace ChatViewModel {
  export interface IOptions {
    client: ChatApiClient;
    events: ChatEventStream;
    /** The chat to show; null for a new chat, created by its first message. */
    chatId: string | null;
  }
}
