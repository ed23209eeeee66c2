import { renderMarkdown } from '@jupyterlab/rendermime';
import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { ITranslator } from '@jupyterlab/translation';
import { IDisposable } from '@lumino/disposable';

import { splitBlocks } from './blocks';
import { setWriting } from './decorate';
import { renderQueue } from './scheduler';

/** How often, at most, the block being streamed is rendered again. */
const MIN_INTERVAL_MS = 150;
/** Rendering may take at most this share of the time while streaming. */
const BUSY_FACTOR = 5;

/** What rendering a message needs from JupyterLab, and what happens after. */
export interface IMarkdownContext {
  sanitizer: IRenderMime.ISanitizer;
  latexTypesetter: IRenderMime.ILatexTypesetter | null;
  markdownParser: IRenderMime.IMarkdownParser | null;
  translator: ITranslator;
  /**
   * Adds controls to freshly rendered HTML (code block toolbars, held-back images);
   * `writing`: the text is still being written.
   */
  decorate(host: HTMLElement, writing: boolean): void;
}

/**
 * A message's text rendered as Markdown into `host` with JupyterLab's rendermime
 * (sanitised HTML, LaTeX, highlighted code).
 *
 * While the text streams, every finished block is rendered once and only the last
 * block is rendered again, at most every {@link MIN_INTERVAL_MS} (longer when it is
 * slow to render), so a long answer costs about the same per delta as a short one.
 */
export class MarkdownView implements IDisposable {
  constructor(
    readonly host: HTMLElement,
    private _context: IMarkdownContext,
    private _priority: () => number
  ) {}

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** The text last rendered in full (for tests and copies). */
  get text(): string {
    return this._text;
  }

  /** Shows `text`; `streaming` says whether more is expected. */
  update(text: string, streaming: boolean): void {
    if (this._disposed) {
      return;
    }
    if (text === this._text && streaming === this._streaming && this._shown) {
      return;
    }
    this._text = text;
    this._streaming = streaming;
    if (!this._shown && !streaming) {
      // Until the Markdown is rendered, the plain text keeps the message's place.
      this.host.classList.add('jp-ChatExt-raw');
      this.host.textContent = text;
    }
    this._schedule();
  }

  dispose(): void {
    this._disposed = true;
    window.clearTimeout(this._timer);
  }

  private _schedule(): void {
    if (this._queued) {
      return;
    }
    this._queued = true;
    const wait = this._streaming
      ? Math.max(0, this._lastEnd + this._interval - performance.now())
      : 0;
    const enqueue = () =>
      void renderQueue.schedule(() => this._flush(), this._priority());
    if (wait > 0) {
      this._timer = window.setTimeout(enqueue, wait);
    } else {
      enqueue();
    }
  }

  private async _flush(): Promise<void> {
    this._queued = false;
    if (this._disposed) {
      return;
    }
    const started = performance.now();
    const text = this._text;
    const streaming = this._streaming;
    if (!text.startsWith(this._committed) || !this._shown) {
      // Not a continuation of what is shown (an edit, a reload): start over.
      this.host.classList.remove('jp-ChatExt-raw');
      this.host.textContent = '';
      this._committed = '';
      this._tail = null;
    }
    this._shown = true;
    const rest = text.slice(this._committed.length);
    const { complete, tail } = streaming
      ? splitBlocks(rest)
      : { complete: [], tail: rest };
    for (const block of complete) {
      // The first finished block is the one the tail element has been showing.
      const element = this._tail ?? this._newBlock();
      this._tail = null;
      await this._render(element, block, false);
      this._committed += block;
    }
    if (this._tail === null) {
      this._tail = this._newBlock();
    }
    await this._render(this._tail, tail, streaming);
    this._lastEnd = performance.now();
    this._interval = Math.max(
      MIN_INTERVAL_MS,
      (this._lastEnd - started) * BUSY_FACTOR
    );
    if (this._text !== text || this._streaming !== streaming) {
      this._schedule();
    }
  }

  private _newBlock(): HTMLElement {
    const element = document.createElement('div');
    element.className = 'jp-ChatExt-block';
    this.host.appendChild(element);
    return element;
  }

  private async _render(
    element: HTMLElement,
    source: string,
    writing: boolean
  ): Promise<void> {
    if (this._sources.get(element) === source) {
      // The stream ended on what was shown already.
      setWriting(element, writing);
      return;
    }
    this._sources.set(element, source);
    const { sanitizer, latexTypesetter, markdownParser, translator } =
      this._context;
    await renderMarkdown({
      host: element,
      source,
      trusted: false,
      sanitizer,
      resolver: null,
      linkHandler: null,
      shouldTypeset: true,
      latexTypesetter,
      markdownParser,
      translator
    });
    this._context.decorate(element, writing);
  }

  private _committed = '';
  private _disposed = false;
  private _interval = MIN_INTERVAL_MS;
  private _lastEnd = 0;
  private _queued = false;
  private _shown = false;
  private _sources = new WeakMap<HTMLElement, string>();
  private _streaming = false;
  private _tail: HTMLElement | null = null;
  private _text = '';
  private _timer = 0;
}

/**
 * Renders a little Markdown with code and math off screen, once, when the browser is
 * idle: the first highlighting and typesetting load code and fonts, which would
 * otherwise stall the first streamed answer.
 */
export function warmUp(context: IMarkdownContext): void {
  if (warmedUp) {
    return;
  }
  warmedUp = true;
  const run = () => {
    const host = document.createElement('div');
    host.className = 'jp-ChatExt-warmUp';
    host.setAttribute('aria-hidden', 'true');
    document.body.appendChild(host);
    const view = new MarkdownView(host, context, () => -1);
    view.update('`x` $x^2$\n\n```python\nx = 1\n```\n', false);
    window.setTimeout(() => {
      view.dispose();
      host.remove();
    }, 5000);
  };
  window.requestIdleCallback(run, { timeout: 2000 });
}

let warmedUp = false;
