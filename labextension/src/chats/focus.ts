import React, { useCallback, useEffect, useRef } from 'react';

/** The rows that take the keyboard focus: chats and folders, in the order shown. */
const ROWS = '[data-chat-id], .jp-ChatExt-folder[data-folder-id]';
/** A row's main control, focused when the row is focused as a whole. */
const MAIN_CONTROL = '.jp-ChatExt-chatItem-open, .jp-ChatExt-folder-toggle';

interface IFocused {
  element: HTMLElement;
  /** The control's selector within its row (its class), to find it again. */
  control: string;
  /** The row's key ("chat:id" or "folder:id"). */
  key: string;
  /** Every row's key, in the order shown, when last seen. */
  order: string[];
}

function rowKey(row: Element): string {
  const element = row as HTMLElement;
  return element.dataset.chatId !== undefined
    ? `chat:${element.dataset.chatId}`
    : `folder:${element.dataset.folderId}`;
}

function rowSelector(key: string): string {
  const [kind, id] = [
    key.slice(0, key.indexOf(':')),
    key.slice(key.indexOf(':') + 1)
  ];
  return kind === 'chat'
    ? `[data-chat-id="${CSS.escape(id)}"]`
    : `.jp-ChatExt-folder[data-folder-id="${CSS.escape(id)}"]`;
}

function order(root: HTMLElement): string[] {
  return Array.from(root.querySelectorAll(ROWS), rowKey);
}

/** The control, in `row` itself (not in a row nested in it), matching `selector`. */
function controlOf(row: Element, selector: string): HTMLElement | null {
  for (const control of row.querySelectorAll<HTMLElement>(selector)) {
    if (control.closest(ROWS) === row) {
      return control;
    }
  }
  return null;
}

/**
 * Keeps the keyboard focus in the list when the focused row goes away or is drawn anew:
 * a chat deleted or archived, pinned into another group, filed in a folder. Without
 * this, the focus falls to the page and the keyboard user must find the list again.
 * The same row (where it now shows) gets the focus back, else the one after it, else
 * the one before. Returns the props for the list's root element.
 */
export function useFocusKeeper(): {
  ref: React.RefObject<HTMLDivElement>;
  onFocus: (event: React.FocusEvent<HTMLElement>) => void;
  onBlur: (event: React.FocusEvent<HTMLElement>) => void;
} {
  const ref = useRef<HTMLDivElement>(null);
  const focused = useRef<IFocused | null>(null);

  const onFocus = useCallback((event: React.FocusEvent<HTMLElement>) => {
    const root = ref.current;
    const element = event.target as HTMLElement;
    const row = element.closest(ROWS);
    const control = Array.from(element.classList).find(name =>
      name.startsWith('jp-ChatExt-')
    );
    focused.current =
      root && row && control
        ? {
            element,
            control: `.${control}`,
            key: rowKey(row),
            order: order(root)
          }
        : null;
  }, []);

  // Focus the user takes elsewhere (a click on the page, another panel) is theirs: the
  // row it left is no longer the one to keep. A row removed while focused is still kept.
  const onBlur = useCallback((event: React.FocusEvent<HTMLElement>) => {
    const element = event.target as HTMLElement;
    queueMicrotask(() => {
      if (element.isConnected && focused.current?.element === element) {
        focused.current = null;
      }
    });
  }, []);

  // After every render: the focused row may have just been removed or replaced.
  useEffect(() => {
    const root = ref.current;
    const last = focused.current;
    if (!root || !last) {
      return;
    }
    if (last.element.isConnected) {
      last.order = order(root);
      return;
    }
    const active = document.activeElement;
    // Focus the user put elsewhere stays there.
    if (active && active !== document.body) {
      focused.current = null;
      return;
    }
    const index = last.order.indexOf(last.key);
    const candidates = [
      last.key,
      ...last.order.slice(index + 1),
      ...last.order.slice(0, Math.max(index, 0)).reverse()
    ];
    for (const key of candidates) {
      const row = root.querySelector(rowSelector(key));
      const control =
        row &&
        (key === last.key
          ? controlOf(row, last.control)
          : controlOf(row, MAIN_CONTROL));
      if (control) {
        control.focus();
        return;
      }
    }
  });

  return { ref, onFocus, onBlur };
}
