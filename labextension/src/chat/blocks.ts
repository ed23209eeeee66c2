/**
 * Splitting Markdown into top-level blocks, so that a streamed answer renders
 * each finished block once and re-renders only the block still being written.
 */

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const LIST_ITEM = /^ {0,3}([-*+]|\d{1,9}[.)])(\s|$)/;
const INDENTED = /^( {2,}|\t)/;
const MATH_FENCE = /^\s*\$\$\s*$/;

export interface ISplit {
  /** Blocks known to be finished: later text cannot change how they render. */
  complete: string[];
  /** What follows them: the block still being written (may be empty). */
  tail: string;
}

/**
 * Splits text into finished blocks and a tail.
 *
 * A block ends at a blank line outside code fences and `$$` math, unless the next
 * line continues it (an indented line, or another item of the same list). A block
 * counts as finished only once a line of the next block has started, so a blank
 * line at the very end does not yet finish anything.
 */
export function splitBlocks(text: string): ISplit {
  const complete: string[] = [];
  let blockStart = 0;
  let fence: string | null = null;
  let inMath = false;
  let blankAt = -1; // offset of the first blank line after the current block's text
  let blockIsList = false;
  let blockHasText = false;
  let offset = 0;

  while (offset < text.length) {
    const newline = text.indexOf('\n', offset);
    if (newline < 0) {
      // The last line is still being written: it decides nothing yet.
      break;
    }
    const line = text.slice(offset, newline);
    const next = newline + 1;

    if (fence !== null) {
      const close = FENCE.exec(line);
      if (
        close &&
        close[1][0] === fence[0] &&
        close[1].length >= fence.length &&
        line.trim() === close[1]
      ) {
        fence = null;
      }
      offset = next;
      continue;
    }
    if (inMath) {
      if (MATH_FENCE.test(line)) {
        inMath = false;
      }
      offset = next;
      continue;
    }

    const blank = line.trim() === '';
    if (blank) {
      if (blockHasText && blankAt < 0) {
        blankAt = offset;
      }
      offset = next;
      continue;
    }

    if (blankAt >= 0) {
      const continues =
        INDENTED.test(line) || (blockIsList && LIST_ITEM.test(line));
      if (!continues) {
        complete.push(text.slice(blockStart, offset));
        blockStart = offset;
        blockHasText = false;
      }
      blankAt = -1;
    }
    if (!blockHasText) {
      blockIsList = LIST_ITEM.test(line);
      blockHasText = true;
    }
    const open = FENCE.exec(line);
    if (open) {
      fence = open[1];
    } else if (MATH_FENCE.test(line)) {
      inMath = true;
    }
    offset = next;
  }
  return { complete, tail: text.slice(blockStart) };
}

/** A code fence safe to wrap `code` in: longer than any backtick run inside it. */
export function fenceFor(code: string): string {
  let longest = 0;
  for (const run of code.match(/`+/g) ?? []) {
    longest = Math.max(longest, run.length);
  }
  return '`'.repeat(Math.max(3, longest + 1));
}
