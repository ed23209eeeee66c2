/**
 * The Server-Sent Events of `POST chat/completions` and
 * `GET chat/completions/{id}/stream`: `start`, then `reasoning`, `delta` and `usage`
 * events carrying only what is new, then `done` or `error`.
 */

export interface IUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
}

export type CompletionEvent =
  | {
      type: 'start';
      data: {
        chat_id: string;
        /** Set when the request added a user message (not on re-attach or regenerate). */
        user_message_id?: string | null;
        message_id: string;
        model: string;
        /** The answer's text written before this listener joined. */
        content: string;
        /** A reasoning model's thoughts written before this listener joined. */
        reasoning?: string;
      };
    }
  | { type: 'reasoning'; data: { text: string } }
  | { type: 'delta'; data: { text: string } }
  | { type: 'usage'; data: IUsage }
  | {
      type: 'done';
      data: {
        status: 'done' | 'stopped';
        finish_reason?: string | null;
        usage?: IUsage | null;
      };
    }
  | { type: 'error'; data: { message: string; content?: string } };

const KNOWN = new Set([
  'start',
  'reasoning',
  'delta',
  'usage',
  'done',
  'error'
]);

/**
 * Splits a stream of SSE text into events. Fed chunks as they arrive; holds an
 * incomplete event back until its blank line comes.
 */
export class SseParser {
  /** Adds text; returns the events it completes. */
  push(text: string): CompletionEvent[] {
    this._buffer += text;
    const events: CompletionEvent[] = [];
    for (;;) {
      const match = /\r?\n\r?\n/.exec(this._buffer);
      if (!match) {
        return events;
      }
      const block = this._buffer.slice(0, match.index);
      this._buffer = this._buffer.slice(match.index + match[0].length);
      const event = parseBlock(block);
      if (event) {
        events.push(event);
      }
    }
  }

  private _buffer = '';
}

function parseBlock(block: string): CompletionEvent | null {
  let type = 'message';
  const data: string[] = [];
  for (const line of block.split(/\r?\n/)) {
    if (line.startsWith(':')) {
      continue;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) {
      value = value.slice(1);
    }
    if (field === 'event') {
      type = value;
    } else if (field === 'data') {
      data.push(value);
    }
  }
  if (!KNOWN.has(type) || data.length === 0) {
    return null;
  }
  try {
    return { type, data: JSON.parse(data.join('\n')) } as CompletionEvent;
  } catch {
    return null;
  }
}

/** Reads a streamed response to its end, yielding its events. */
export async function* readCompletionEvents(
  response: Response
): AsyncGenerator<CompletionEvent> {
  const body = response.body;
  if (!body) {
    return;
  }
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  const parser = new SseParser();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        return;
      }
      yield* parser.push(value);
    }
  } finally {
    // Leaving early (the view closed) releases the connection; the answer goes on.
    reader.cancel().catch(() => undefined);
  }
}
