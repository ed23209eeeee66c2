import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import {
  ChatApiClient,
  ChatDetail,
  ChatEvent,
  CompletionRequest
} from '../api/client';
import { ChatEventStream } from '../api/events';
import { CompletionEvent } from '../api/sse';
import {
  IFailure,
  ISource,
  IViewMessage,
  isNotFound,
  isPending,
  messageOf,
  pendingMessage,
  toMessage
} from './messages';
import {
  branchWindow,
  chatIdOf,
  findMessage,
  leafOf,
  placeAnswer,
  Plan,
  replaceMessage,
  withEventMessage,
  withStored
} from './branch';

/** Messages fetched at a time: the latest when a chat opens, more on scrolling up. */
export const PAGE_SIZE = 40;

/**
 * One chat as a chat view shows it: its current branch (or the latest part of a long
 * one), the answers being written, and the actions on them. Answers this view asks
 * for, or re-attaches to, stream over Server-Sent Events; changes made elsewhere
 * (another tab, the kernel) arrive on the events socket.
 */
export class ChatViewModel implements IDisposable {
  constructor(options: ChatViewModel.IOptions) {
    this._client = options.client;
    this._events = options.events;
    this._chatId = options.chatId;
    this._events.received.connect(this._onEvent, this);
    this._events.reconnected.connect(this._onReconnected, this);
    this._events.start();
  }

  /** Structure and status changes: messages added, replaced or removed, chat renamed. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** A streaming message gained text (its id). */
  get textChanged(): ISignal<this, string> {
    return this._textChanged;
  }

  /** The chat got its id (a new chat's first message was stored). */
  get chatIdChanged(): ISignal<this, string> {
    return this._chatIdChanged;
  }

  get chatId(): string | null {
    return this._chatId;
  }

  get title(): string {
    return this._title;
  }

  get messages(): readonly IViewMessage[] {
    return this._messages;
  }

  get loaded(): boolean {
    return this._loaded;
  }

  /** Whether older messages of the branch are not loaded yet. */
  get hasEarlier(): boolean {
    return this._firstIndex > 0;
  }

  get loadingEarlier(): boolean {
    return this._loadingEarlier;
  }

  get failure(): IFailure | null {
    return this._failure;
  }

  /** Whether the chat was deleted while shown. */
  get deleted(): boolean {
    return this._deleted;
  }

  /** The answer being written in this chat's branch, if any. */
  get streamingId(): string | null {
    const message = this._messages.find(m => m.streaming);
    return message ? message.id : null;
  }

  /** Whether a request of this view has not been answered yet. */
  get sending(): boolean {
    return this._plan !== null;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** The text of a message as far as it has been written. */
  textOf(message: IViewMessage): string {
    return this._live.get(message.id) ?? message.content;
  }

  /** Loads the latest messages, and re-attaches to an answer still being written. */
  async load(): Promise<void> {
    const chatId = this._chatId;
    if (chatId === null) {
      this._loaded = true;
      this._changed.emit();
      return;
    }
    this._failure = null;
    try {
      const [running, detail] = await Promise.all([
        this._client.listRunning(),
        this._client.getChat(chatId, { tail: PAGE_SIZE })
      ]);
      if (this._disposed) {
        return;
      }
      this._setBranch(detail);
      const runningIds = new Set(running.items.map(item => item.message_id));
      for (const message of this._messages) {
        if (!message.streaming || this._following.has(message.id)) {
          continue;
        }
        if (runningIds.has(message.id)) {
          void this._follow(
            this._client.attach(message.id, this._abort.signal),
            { kind: 'attach', messageId: message.id }
          );
        } else {
          // It ended between the two requests: its stored copy is complete now.
          void this._settle(message.id, true);
        }
      }
    } catch (error) {
      if (isNotFound(error)) {
        this._deleted = true;
      } else {
        this._failure = { message: messageOf(error), retry: () => this.load() };
      }
    }
    this._loaded = true;
    this._changed.emit();
  }

  /** Loads the messages before the first one shown. */
  async loadEarlier(): Promise<void> {
    const first = this._messages[0];
    if (!this._chatId || !first || !this.hasEarlier || this._loadingEarlier) {
      return;
    }
    this._loadingEarlier = true;
    this._changed.emit();
    try {
      const detail = await this._client.getChat(this._chatId, {
        tail: PAGE_SIZE,
        before: first.id
      });
      if (this._messages[0] === first) {
        this._messages = [...detail.messages, ...this._messages];
        this._firstIndex = detail.first_index;
      }
    } catch (error) {
      this._failure = {
        message: messageOf(error),
        retry: () => void this.loadEarlier()
      };
    } finally {
      this._loadingEarlier = false;
      this._changed.emit();
    }
  }

  /** Sends a user message to `model`, as a reply to the last message shown. */
  send(content: string, model: string, source?: ISource): Promise<void> {
    const leaf = this._messages[this._messages.length - 1];
    // Where it came from is stored with the message, in the same request.
    const meta = source ? { source } : undefined;
    const pendingUser = {
      ...pendingMessage('user', content, leaf?.id ?? null),
      meta: meta ?? {}
    };
    this._messages = [...this._messages, pendingUser];
    return this._start(
      { model, chat_id: this._chatId, content, meta },
      { kind: 'send', pendingUser },
      () => void this.send(content, model, source)
    );
  }

  /** Answers again in place of `message` (an answer), as its new sibling. */
  regenerate(message: IViewMessage, model: string): Promise<void> {
    const index = this._messages.indexOf(message);
    if (index < 0 || !this._chatId) {
      return Promise.resolve();
    }
    const pendingAnswer = {
      ...pendingMessage('assistant', '', message.parent_id),
      model,
      streaming: true
    };
    pendingAnswer.sibling_ids = [...message.sibling_ids, pendingAnswer.id];
    this._messages = [...this._messages.slice(0, index), pendingAnswer];
    return this._start(
      { model, chat_id: this._chatId, regenerate: message.id },
      { kind: 'regenerate', target: message, pendingAnswer },
      () => void this.regenerate(message, model)
    );
  }

  /** Replaces a user message with `content` (a new sibling: a branch) and answers it. */
  edit(message: IViewMessage, content: string, model: string): Promise<void> {
    const index = this._messages.indexOf(message);
    if (index < 0 || !this._chatId) {
      return Promise.resolve();
    }
    const pendingUser = pendingMessage('user', content, message.parent_id);
    pendingUser.sibling_ids = [...message.sibling_ids, pendingUser.id];
    this._messages = [...this._messages.slice(0, index), pendingUser];
    return this._start(
      {
        model,
        chat_id: this._chatId,
        content,
        // Explicitly null for the first message: a new root.
        parent_id: message.parent_id
      },
      { kind: 'edit', pendingUser },
      () => void this.edit(message, content, model)
    );
  }

  /** Stops the answer being written; what was written is kept. */
  async stop(): Promise<void> {
    const id = this.streamingId;
    if (!id || isPending(id)) {
      return;
    }
    try {
      await this._client.stopCompletion(id);
    } catch (error) {
      // Already finished: the stream's own end shows how.
      if (!isNotFound(error)) {
        this._failure = { message: messageOf(error), retry: null };
        this._changed.emit();
      }
    }
  }

  /** Shows the branch through `siblingId`, a sibling of a message shown. */
  async showSibling(siblingId: string): Promise<void> {
    if (!this._chatId || this.sending) {
      return;
    }
    try {
      const keep = Math.max(PAGE_SIZE, this._messages.length);
      const detail = await this._client.updateChat(
        this._chatId,
        { current_message_id: siblingId },
        { tail: keep }
      );
      this._setBranch(detail, keep);
    } catch (error) {
      this._failure = { message: messageOf(error), retry: null };
    }
    this._changed.emit();
  }

  dismissFailure(): void {
    this._failure = null;
    this._changed.emit();
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    // Closing a view stops listening, not the answer: it goes on being written.
    this._abort.abort();
    window.clearTimeout(this._checkTimer);
    this._events.received.disconnect(this._onEvent, this);
    this._events.reconnected.disconnect(this._onReconnected, this);
    Signal.clearData(this);
  }

  private async _start(
    request: CompletionRequest,
    plan: Plan,
    retry: () => void
  ): Promise<void> {
    const before = this._messages;
    this._failure = null;
    this._plan = plan;
    this._changed.emit();
    try {
      await this._follow(
        this._client.complete(request, this._abort.signal),
        plan
      );
    } catch (error) {
      if (this._disposed) {
        return;
      }
      // Nothing was stored: show the branch as it was, and what went wrong.
      if (this._plan === plan) {
        this._plan = null;
        this._messages = before.filter(m => !isPending(m.id));
        if (plan.kind !== 'send') {
          void this.load();
        }
      }
      this._failure = { message: messageOf(error), retry };
      this._changed.emit();
    }
  }

  /**
   * Reads a completion's events to their end. Throws only if the request failed
   * before the answer started; a stream cut later leaves the stored answer to be
   * fetched again.
   */
  private async _follow(
    stream: AsyncGenerator<CompletionEvent>,
    plan: Plan
  ): Promise<void> {
    let answerId: string | null = null;
    if (plan.kind === 'attach') {
      answerId = plan.messageId;
      this._following.add(answerId);
    }
    let finished = false;
    try {
      for await (const event of stream) {
        if (this._disposed) {
          return;
        }
        if (event.type === 'start') {
          answerId = this._onStart(event.data, plan);
          continue;
        }
        if (answerId === null) {
          continue;
        }
        finished = this._onStreamEvent(answerId, event) || finished;
      }
    } catch (error) {
      if (answerId === null && !this._disposed) {
        throw error;
      }
    } finally {
      if (answerId !== null) {
        this._following.delete(answerId);
        if (!this._disposed) {
          await this._settle(answerId, finished);
        }
      }
    }
  }

  /** Puts the messages a completion stored in place; returns the answer's id. */
  private _onStart(
    data: Extract<CompletionEvent, { type: 'start' }>['data'],
    plan: Plan
  ): string {
    const answerId = data.message_id;
    this._following.add(answerId);
    if (this._chatId === null) {
      this._chatId = data.chat_id;
      this._chatIdChanged.emit(data.chat_id);
    }
    this._live.set(answerId, data.content ?? '');
    this._messages = placeAnswer(this._messages, plan, data);
    if (this._plan === plan) {
      this._plan = null;
    }
    this._changed.emit();
    // Events about these messages that came while the request was on its way.
    const missed = this._missed;
    this._missed = [];
    missed.forEach(event => this._apply(event));
    return answerId;
  }

  /** Applies a delta, usage or end event; returns whether the answer ended. */
  private _onStreamEvent(id: string, event: CompletionEvent): boolean {
    switch (event.type) {
      case 'delta':
        this._live.set(id, (this._live.get(id) ?? '') + event.data.text);
        this._textChanged.emit(id);
        return false;
      case 'usage':
        this._patchMeta(id, { usage: event.data });
        return false;
      case 'done':
        this._patchMeta(id, { status: event.data.status }, false);
        return true;
      case 'error':
        this._patchMeta(
          id,
          { status: 'error', error: event.data.message },
          false
        );
        return true;
      default:
        return false;
    }
  }

  /**
   * After a stream: takes the stored answer (with its usage, timing and siblings).
   * A stream cut before its end is followed again if the answer is still being written.
   */
  private async _settle(id: string, finished: boolean): Promise<void> {
    const chatId = this._chatId;
    if (!chatId) {
      return;
    }
    try {
      if (!finished) {
        const running = await this._client.listRunning();
        if (running.items.some(item => item.message_id === id)) {
          void this._follow(this._client.attach(id, this._abort.signal), {
            kind: 'attach',
            messageId: id
          });
          return;
        }
      }
      const detail = await this._client.getChat(chatId, { tail: 3 });
      this._messages = withStored(this._messages, detail.messages);
      detail.messages.forEach(stored => this._live.delete(stored.id));
    } catch {
      // The text streamed is shown; a later reload will have the stored copy.
    }
    if (this._find(id)?.streaming) {
      this._replace(id, {
        streaming: false,
        content: this._live.get(id) ?? this._find(id)!.content
      });
      this._live.delete(id);
    }
    this._changed.emit();
  }

  private _onEvent(_: ChatEventStream, event: ChatEvent): void {
    const data = event.data as Record<string, unknown>;
    const mine =
      (this._chatId !== null && chatIdOf(event) === this._chatId) ||
      (event.type === 'chat.deleted' && data.all === true);
    if (!mine && !(this._chatId === null && this._plan)) {
      return;
    }
    if (this._plan) {
      // Until the request's start event says which messages are ours, hold these.
      this._missed.push(event);
      return;
    }
    this._apply(event);
  }

  private _apply(event: ChatEvent): void {
    const data = event.data as Record<string, unknown>;
    if (chatIdOf(event) !== this._chatId && event.type !== 'chat.deleted') {
      return;
    }
    const id = typeof data.id === 'string' ? data.id : '';
    if (event.type.startsWith('message.') && this._following.has(id)) {
      return; // Its own stream says the same, in order.
    }
    switch (event.type) {
      case 'message.delta': {
        const message = this._find(id);
        if (message?.streaming && typeof data.text === 'string') {
          this._live.set(id, this.textOf(message) + data.text);
          this._textChanged.emit(id);
        }
        return;
      }
      case 'message.added':
      case 'message.updated': {
        const message = toMessage(data);
        if (!message) {
          return;
        }
        const known = this._find(id) !== undefined;
        const next = withEventMessage(
          this._messages,
          message,
          event.type === 'message.added'
        );
        if (next === null) {
          this._scheduleBranchCheck();
          return;
        }
        this._messages = next;
        if (known) {
          this._live.delete(id);
        } else if (message.streaming) {
          this._live.set(id, message.content);
        }
        this._changed.emit();
        return;
      }
      case 'chat.updated':
        if (typeof data.title === 'string' && data.title !== this._title) {
          this._title = data.title;
          this._changed.emit();
        }
        // The event names the chat's current leaf: only a moved one needs the branch.
        if (data.current_message_id !== this._leafId()) {
          this._scheduleBranchCheck();
        }
        return;
      case 'chat.deleted':
        if (data.id === this._chatId || data.all === true) {
          this._deleted = true;
          this._abort.abort();
          this._changed.emit();
        }
        return;
    }
  }

  private _onReconnected(): void {
    // Events were missed while the socket was down.
    if (this._chatId && this._following.size === 0 && !this._plan) {
      void this.load();
    }
  }

  /** Another tab may have switched branch: reload if the current leaf moved. */
  private _scheduleBranchCheck(): void {
    window.clearTimeout(this._checkTimer);
    this._checkTimer = window.setTimeout(async () => {
      const chatId = this._chatId;
      if (!chatId || this._plan || this._following.size > 0 || this._disposed) {
        return;
      }
      try {
        const detail = await this._client.getChat(chatId, { tail: 1 });
        if (detail.current_message_id !== this._leafId()) {
          await this.load();
        }
      } catch {
        // The next change will check again.
      }
    }, 300);
  }

  private _setBranch(detail: ChatDetail, keep = PAGE_SIZE): void {
    const shown = branchWindow(detail, keep);
    this._firstIndex = shown.firstIndex;
    this._messages = shown.messages;
    this._title = detail.title;
    this._live.clear();
  }

  private _leafId(): string | null {
    return leafOf(this._messages);
  }

  private _find(id: string): IViewMessage | undefined {
    return findMessage(this._messages, id);
  }

  private _replace(id: string, changes: Partial<IViewMessage>): void {
    this._messages = replaceMessage(this._messages, id, changes);
  }

  private _patchMeta(
    id: string,
    meta: Record<string, unknown>,
    streaming?: boolean
  ): void {
    const message = this._find(id);
    if (message) {
      this._replace(id, {
        meta: { ...message.meta, ...meta },
        ...(streaming === undefined ? {} : { streaming })
      });
      this._changed.emit();
    }
  }

  private _abort = new AbortController();
  private _changed = new Signal<this, void>(this);
  private _chatId: string | null;
  private _chatIdChanged = new Signal<this, string>(this);
  private _checkTimer = 0;
  private _client: ChatApiClient;
  private _deleted = false;
  private _disposed = false;
  private _events: ChatEventStream;
  private _failure: IFailure | null = null;
  private _firstIndex = 0;
  private _following = new Set<string>();
  private _live = new Map<string, string>();
  private _loaded = false;
  private _loadingEarlier = false;
  private _messages: IViewMessage[] = [];
  private _missed: ChatEvent[] = [];
  private _plan: Plan | null = null;
  private _textChanged = new Signal<this, string>(this);
  private _title = '';
}

export namespace ChatViewModel {
  export interface IOptions {
    client: ChatApiClient;
    events: ChatEventStream;
    /** The chat to show; null for a new chat, created by its first message. */
    chatId: string | null;
  }
}
