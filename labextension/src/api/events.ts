import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { API_PATH, ChatEvent } from './client';

const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 30000;

/**
 * The user's change feed (`chat-ext/api/events`), kept open for as long as the
 * stream lives: when the socket closes it is reopened with exponential backoff.
 */
export class ChatEventStream implements IDisposable {
  constructor(readonly serverSettings: ServerConnection.ISettings) {}

  /** Every event the server pushes. */
  get received(): ISignal<this, ChatEvent> {
    return this._received;
  }

  /**
   * Emitted each time the socket opens after having been closed. Events sent while
   * it was down are lost, so listeners should reload what they show.
   */
  get reconnected(): ISignal<this, void> {
    return this._reconnected;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Opens the socket; calling it again while open does nothing. */
  start(): void {
    if (!this._started && !this._isDisposed) {
      this._started = true;
      this._connect();
    }
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    window.clearTimeout(this._retryTimer);
    if (this._socket) {
      this._socket.onclose = null;
      this._socket.close();
      this._socket = null;
    }
    Signal.clearData(this);
  }

  private _connect(): void {
    const { appendToken, token, WebSocket, wsUrl } = this.serverSettings;
    let url = URLExt.join(wsUrl, API_PATH, 'events');
    // Browsers cannot set headers on a WebSocket handshake, so the token travels
    // in the query string, exactly as JupyterLab's kernel and event sockets do.
    if (appendToken && token !== '') {
      url += `?token=${encodeURIComponent(token)}`;
    }
    const socket = new WebSocket(url);
    this._socket = socket;
    socket.onopen = () => {
      const wasOpenBefore = this._hasOpened;
      this._hasOpened = true;
      this._attempts = 0;
      if (wasOpenBefore) {
        this._reconnected.emit();
      }
    };
    socket.onmessage = message => {
      const event = parseEvent(message.data);
      if (event) {
        this._received.emit(event);
      }
    };
    socket.onclose = () => {
      this._socket = null;
      this._scheduleReconnect();
    };
  }

  private _scheduleReconnect(): void {
    if (this._isDisposed) {
      return;
    }
    const ceiling = Math.min(
      MAX_RETRY_MS,
      FIRST_RETRY_MS * 2 ** this._attempts
    );
    // Jitter keeps many tabs from reconnecting in lockstep after a server restart.
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this._attempts += 1;
    this._retryTimer = window.setTimeout(() => this._connect(), delay);
  }

  private _attempts = 0;
  private _hasOpened = false;
  private _isDisposed = false;
  private _received = new Signal<this, ChatEvent>(this);
  private _reconnected = new Signal<this, void>(this);
  private _retryTimer = 0;
  private _socket: WebSocket | null = null;
  private _started = false;
}

function parseEvent(raw: unknown): ChatEvent | null {
  if (typeof raw !== 'string') {
    return null;
  }
  try {
    const value = JSON.parse(raw) as Partial<ChatEvent>;
    if (
      typeof value.type === 'string' &&
      typeof value.data === 'object' &&
      value.data !== null
    ) {
      return value as ChatEvent;
    }
  } catch {
    // A frame we cannot read is dropped; the next reload will show the truth.
  }
  return null;
}
