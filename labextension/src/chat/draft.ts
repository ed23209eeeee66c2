import { ISignal, Signal } from '@lumino/signaling';

import { ISource } from './messages';

/**
 * What is typed in a chat view's input, and where it came from. Commands outside
 * the view (notebook integration) fill it in, and may ask for it to be sent.
 */
export class Draft {
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get text(): string {
    return this._text;
  }

  get source(): ISource | null {
    return this._source;
  }

  /** Whether the text should be sent as soon as a model is chosen. */
  get sendRequested(): boolean {
    return this._sendRequested;
  }

  setText(text: string): void {
    if (text !== this._text) {
      this._text = text;
      this._changed.emit();
    }
  }

  /** Replaces the draft (or adds to it, when `append`). */
  fill(
    text: string,
    options: { source?: ISource | null; send?: boolean; append?: boolean } = {}
  ): void {
    this._text =
      options.append && this._text.trim()
        ? `${this._text.replace(/\s*$/, '')}\n\n${text}`
        : text;
    if (options.source !== undefined) {
      this._source = options.source;
    }
    this._sendRequested = options.send ?? false;
    this._changed.emit();
  }

  /** Empties the draft after sending it. */
  clear(): void {
    this._text = '';
    this._source = null;
    this._sendRequested = false;
    this._changed.emit();
  }

  /**
   * Asks for the input to take the focus as soon as it can (it may be disabled now).
   * The request holds only while the focus stays where it was when it was made: once
   * someone puts it elsewhere (the model search, another panel), it is theirs.
   */
  requestFocus(): void {
    this._focusRequest = { from: document.activeElement };
    this._changed.emit();
  }

  /** Whether a request still holds; any request is consumed. */
  takeFocusRequest(): boolean {
    const holds = this.focusRequested;
    this._focusRequest = null;
    return holds;
  }

  /**
   * Whether a request holds, without taking it: the focus is still where it was made, or
   * fell to the page because what held it went away (a notice that gave way).
   */
  get focusRequested(): boolean {
    const from = this._focusRequest?.from;
    if (from === undefined) {
      return false;
    }
    const now = document.activeElement;
    return (
      now === from ||
      (!!from && !from.isConnected && (now === null || now === document.body))
    );
  }

  clearSource(): void {
    this._source = null;
    this._changed.emit();
  }

  private _changed = new Signal<this, void>(this);
  private _focusRequest: { from: Element | null } | null = null;
  private _sendRequested = false;
  private _source: ISource | null = null;
  private _text = '';
}

/**
 * Prompts sent from any chat view in this page, oldest first, so that up-arrow in
 * an input recalls them.
 */
export class PromptHistory {
  get items(): readonly string[] {
    return this._items;
  }

  add(prompt: string): void {
    const text = prompt.trim();
    if (!text) {
      return;
    }
    this._items = [...this._items.filter(item => item !== text), text].slice(
      -100
    );
  }

  private _items: string[] = [];
}

/**
 * Stepping through earlier prompts with the arrow keys; the text being typed is
 * kept and comes back after the newest prompt.
 */
export class HistoryCursor {
  constructor(private _prompts: () => readonly string[]) {}

  /** The prompt before the current one, or null at the oldest. */
  back(current: string): string | null {
    const prompts = this._prompts();
    if (this._index === null) {
      this._saved = current;
      this._index = prompts.length;
    }
    if (this._index === 0 || prompts.length === 0) {
      return null;
    }
    this._index -= 1;
    return prompts[this._index];
  }

  /** The prompt after the current one, the saved text after the newest, or null. */
  forward(): string | null {
    if (this._index === null) {
      return null;
    }
    const prompts = this._prompts();
    this._index += 1;
    if (this._index >= prompts.length) {
      this._index = null;
      return this._saved;
    }
    return prompts[this._index];
  }

  /** Forgets the position (after typing or sending). */
  reset(): void {
    this._index = null;
  }

  get browsing(): boolean {
    return this._index !== null;
  }

  private _index: number | null = null;
  private _saved = '';
}
