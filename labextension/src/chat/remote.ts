import { IDisposable } from '@lumino/disposable';

import type { ChatApiClient, ChatEvent } from '../api/client';
import type { ChatEventStream } from '../api/events';
import { chatIdOf, withEventMessage } from './branch';
import { toMessage } from './messages';
import { settingsOf } from './settings';
import type { ChatState } from './state';

/**
 * Changes made elsewhere (another tab, the kernel), from the events socket, applied to the
 * branch a chat view shows: messages added, changed and streaming, renames, branch
 * switches and deletion.
 */
export class RemoteChanges implements IDisposable {
  /**
   * @param reload - fetches the branch again, when the one shown moved or events were
   * missed.
   */
  constructor(
    private readonly _state: ChatState,
    private readonly _client: ChatApiClient,
    private readonly _events: ChatEventStream,
    private readonly _reload: () => Promise<void>
  ) {
    _events.received.connect(this._onEvent, this);
    _events.reconnected.connect(this._onReconnected, this);
    _events.start();
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    window.clearTimeout(this._checkTimer);
    this._events.received.disconnect(this._onEvent, this);
    this._events.reconnected.disconnect(this._onReconnected, this);
  }

  /** Applies one event to the branch shown (if it is about this chat). */
  apply(event: ChatEvent): void {
    const state = this._state;
    const data = event.data as Record<string, unknown>;
    if (chatIdOf(event) !== state.chatId && event.type !== 'chat.deleted') {
      return;
    }
    const id = typeof data.id === 'string' ? data.id : '';
    if (event.type.startsWith('message.') && state.following.has(id)) {
      return; // Its own stream says the same, in order.
    }
    switch (event.type) {
      case 'message.delta':
      case 'message.reasoning': {
        const message = state.find(id);
        if (message?.streaming && typeof data.text === 'string') {
          state.append(
            id,
            event.type === 'message.delta' ? 'delta' : 'reasoning',
            data.text
          );
        }
        return;
      }
      case 'message.added':
      case 'message.updated': {
        const message = toMessage(data);
        if (!message) {
          return;
        }
        const known = state.find(id) !== undefined;
        const next = withEventMessage(
          state.messages,
          message,
          event.type === 'message.added'
        );
        if (next === null) {
          this._scheduleBranchCheck();
          return;
        }
        state.messages = next;
        if (known) {
          state.forgetLive(id);
        } else if (message.streaming) {
          state.live.set(id, message.content);
          state.liveReasoning.set(id, state.reasoningOf(message));
        }
        state.changed.emit();
        return;
      }
      case 'chat.updated':
        if (typeof data.title === 'string' && data.title !== state.title) {
          state.title = data.title;
          state.changed.emit();
        }
        if (data.meta && typeof data.meta === 'object') {
          state.settings = settingsOf(data.meta as Record<string, unknown>);
          state.changed.emit();
        }
        // The event names the chat's current leaf: only a moved one needs the branch.
        if (data.current_message_id !== state.leafId()) {
          this._scheduleBranchCheck();
        }
        return;
      case 'chat.deleted':
        if (data.id === state.chatId || data.all === true) {
          state.deleted = true;
          state.abort.abort();
          state.changed.emit();
        }
        return;
    }
  }

  private _onEvent(_: ChatEventStream, event: ChatEvent): void {
    const state = this._state;
    const data = event.data as Record<string, unknown>;
    const mine =
      (state.chatId !== null && chatIdOf(event) === state.chatId) ||
      (event.type === 'chat.deleted' && data.all === true);
    if (!mine && !(state.chatId === null && state.plan)) {
      return;
    }
    if (state.plan) {
      // Until the request's start event says which messages are ours, hold these.
      state.missed.push(event);
      return;
    }
    this.apply(event);
  }

  private _onReconnected(): void {
    const state = this._state;
    // Events were missed while the socket was down.
    if (state.chatId && state.following.size === 0 && !state.plan) {
      void this._reload();
    }
  }

  /** Another tab may have switched branch: reload if the current leaf moved. */
  private _scheduleBranchCheck(): void {
    window.clearTimeout(this._checkTimer);
    this._checkTimer = window.setTimeout(async () => {
      const state = this._state;
      const chatId = state.chatId;
      if (!chatId || state.plan || state.following.size > 0 || state.disposed) {
        return;
      }
      try {
        const detail = await this._client.getChat(chatId, { tail: 1 });
        if (detail.current_message_id !== state.leafId()) {
          await this._reload();
        }
      } catch {
        // The next change will check again.
      }
    }, 300);
  }

  private _checkTimer = 0;
  private _disposed = false;
}
