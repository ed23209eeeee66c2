import type { ChatMessage } from '../api/client';

/*
 * The messages of a chat view and what is said of them: the shapes the view works with,
 * the stand-ins shown until the server names a new message, and the readings of what the
 * server sends.
 */

/** A message of the branch shown; `streaming` while its answer is being written. */
export interface IViewMessage extends ChatMessage {
  streaming?: boolean;
}

/** Where a message came from, kept in the user message's `meta.source`. */
export interface ISource {
  kind: 'cell' | 'error' | 'selection';
  /** The notebook's path, relative to the server's root. */
  notebook: string;
  /** The cell's position (0-based) in the notebook when the message was written. */
  cell?: number;
  /**
   * The cell's id (nbformat 4.5), which stays with the cell as others come and go;
   * messages written before it was kept have only the position.
   */
  cellId?: string;
}

/** Something that failed outside any message, with a way to try again. */
export interface IFailure {
  /** What was thrown: the view puts it into words. */
  error: unknown;
  retry: (() => void) | null;
}

let pendingCount = 0;

/** A stand-in for a message the server has not stored yet; its id starts with `pending-`. */
export function pendingMessage(
  role: 'user' | 'assistant',
  content: string,
  parentId: string | null
): IViewMessage {
  const id = `pending-${++pendingCount}`;
  const now = new Date().toISOString();
  return {
    id,
    parent_id: parentId,
    role,
    content,
    model: null,
    created_at: now,
    updated_at: now,
    meta: {},
    sibling_ids: [id]
  };
}

export function isPending(id: string): boolean {
  return id.startsWith('pending-');
}

export function toMessage(data: Record<string, unknown>): IViewMessage | null {
  if (
    typeof data.id !== 'string' ||
    typeof data.role !== 'string' ||
    typeof data.content !== 'string' ||
    !Array.isArray(data.sibling_ids)
  ) {
    return null;
  }
  const { chat_id: _, ...message } = data;
  const meta = (message.meta ?? {}) as Record<string, unknown>;
  return {
    ...(message as unknown as ChatMessage),
    meta,
    streaming: meta.status === 'streaming'
  };
}

export function isNotFound(error: unknown): boolean {
  return (error as { response?: Response })?.response?.status === 404;
}
