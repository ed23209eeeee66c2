/**
 * A chats file split into requests the server takes.
 *
 * The server refuses a body over its size limit (32 MB unless configured), and a whole
 * history exported from here or from Open WebUI can be larger. Both formats are lists of
 * chats, so a large file is sent as several smaller imports of the same format.
 */

/** Requests are kept under this many characters of JSON, well below the server's limit. */
export const BATCH_CHARS = 8 * 1024 * 1024;

/** The bodies to send, in order: the document itself when it is small or not a known list. */
export function importBatches(
  document: unknown,
  limit: number = BATCH_CHARS
): unknown[] {
  const [chats, wrap] = chatsOf(document);
  if (chats === null || chats.length < 2) {
    return [document];
  }
  const batches: unknown[] = [];
  let batch: unknown[] = [];
  let size = 0;
  for (const chat of chats) {
    const length = JSON.stringify(chat).length;
    if (batch.length > 0 && size + length > limit) {
      batches.push(wrap(batch));
      batch = [];
      size = 0;
    }
    batch.push(chat);
    size += length + 1;
  }
  batches.push(wrap(batch));
  return batches;
}

/** The document's chats and how to make a document of some of them, or null. */
function chatsOf(
  document: unknown
): [unknown[] | null, (chats: unknown[]) => unknown] {
  if (Array.isArray(document)) {
    // Open WebUI's export: a list of chats.
    return [document, chats => chats];
  }
  if (
    typeof document === 'object' &&
    document !== null &&
    Array.isArray((document as { chats?: unknown }).chats)
  ) {
    const whole = document as { chats: unknown[] };
    return [whole.chats, chats => ({ ...whole, chats })];
  }
  return [null, chats => chats];
}
