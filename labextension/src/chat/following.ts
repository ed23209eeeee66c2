import type { ChatApiClient, ChatEvent } from '../api/client';
import type { CompletionEvent } from '../api/sse';
import { placeAnswer, Plan, withStored } from './branch';
import type { ChatState } from './state';

type StartData = Extract<CompletionEvent, { type: 'start' }>['data'];

/**
 * Reads the answers a chat view asks for, or re-attaches to, over Server-Sent Events:
 * puts their messages in place when the stream starts, shows their text as it comes, and
 * takes their stored copies when they end.
 */
export class AnswerFollower {
  /**
   * @param replay - applies an event of the events socket that came while a request was
   * on its way, once its start says which messages are this view's.
   */
  constructor(
    private readonly _state: ChatState,
    private readonly _client: ChatApiClient,
    private readonly _replay: (event: ChatEvent) => void
  ) {}

  /** Follows an answer being written (by this view before a reload, or elsewhere). */
  attach(messageId: string): void {
    void this.follow(this._client.attach(messageId, this._state.abort.signal), {
      kind: 'attach',
      messageId
    });
  }

  /**
   * Reads a completion's events to their end. Throws only if the request failed
   * before the answer started; a stream cut later leaves the stored answer to be
   * fetched again.
   */
  async follow(
    stream: AsyncGenerator<CompletionEvent>,
    plan: Plan
  ): Promise<void> {
    const state = this._state;
    let answerId: string | null = null;
    if (plan.kind === 'attach') {
      answerId = plan.messageId;
      state.following.add(answerId);
    }
    let finished = false;
    try {
      for await (const event of stream) {
        if (state.disposed) {
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
      if (answerId === null && !state.disposed) {
        throw error;
      }
    } finally {
      if (answerId !== null) {
        state.following.delete(answerId);
        if (!state.disposed) {
          await this.settle(answerId, finished);
        }
      }
    }
  }

  /**
   * After a stream: takes the stored answer (with its usage, timing and siblings).
   * A stream cut before its end is followed again if the answer is still being written.
   */
  async settle(id: string, finished: boolean): Promise<void> {
    const state = this._state;
    const chatId = state.chatId;
    if (!chatId) {
      return;
    }
    try {
      if (!finished) {
        const running = await this._client.listRunning();
        if (running.items.some(item => item.message_id === id)) {
          this.attach(id);
          return;
        }
      }
      const detail = await this._client.getChat(chatId, { tail: 3 });
      state.messages = withStored(state.messages, detail.messages);
      detail.messages.forEach(stored => state.forgetLive(stored.id));
    } catch {
      // The text streamed is shown; a later reload will have the stored copy.
    }
    const shown = state.find(id);
    if (shown?.streaming) {
      const reasoning = state.reasoningOf(shown);
      state.replace(id, {
        streaming: false,
        content: state.textOf(shown),
        meta: reasoning ? { ...shown.meta, reasoning } : shown.meta
      });
      state.forgetLive(id);
    }
    state.changed.emit();
  }

  /** Puts the messages a completion stored in place; returns the answer's id. */
  private _onStart(data: StartData, plan: Plan): string {
    const state = this._state;
    const answerId = data.message_id;
    state.following.add(answerId);
    if (state.chatId === null) {
      state.chatId = data.chat_id;
      state.chatIdChanged.emit(data.chat_id);
    }
    state.live.set(answerId, data.content ?? '');
    if (data.reasoning) {
      state.liveReasoning.set(answerId, data.reasoning);
    }
    state.messages = placeAnswer(state.messages, plan, data);
    if (state.plan === plan) {
      state.plan = null;
    }
    state.changed.emit();
    // Events about these messages that came while the request was on its way.
    const missed = state.missed;
    state.missed = [];
    missed.forEach(this._replay);
    return answerId;
  }

  /** Applies a delta, reasoning, usage or end event; returns whether the answer ended. */
  private _onStreamEvent(id: string, event: CompletionEvent): boolean {
    const state = this._state;
    switch (event.type) {
      case 'delta':
      case 'reasoning':
        state.append(id, event.type, event.data.text);
        return false;
      case 'usage':
        state.patchMeta(id, { usage: event.data });
        return false;
      case 'done':
        state.patchMeta(
          id,
          {
            status: event.data.status,
            finish_reason: event.data.finish_reason ?? null
          },
          false
        );
        return true;
      case 'error':
        state.patchMeta(
          id,
          { status: 'error', error: event.data.message },
          false
        );
        return true;
      default:
        return false;
    }
  }
}
