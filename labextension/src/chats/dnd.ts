import React from 'react';

/** Drag payload types: a chat or a folder being moved. */
const CHAT = 'application/x-chat-ext-chat';
const FOLDER = 'application/x-chat-ext-folder';

export interface IDropped {
  kind: 'chat' | 'folder';
  id: string;
}

export function dragChat(event: React.DragEvent, id: string): void {
  event.dataTransfer.setData(CHAT, id);
  event.dataTransfer.effectAllowed = 'move';
  event.stopPropagation();
}

export function dragFolder(event: React.DragEvent, id: string): void {
  event.dataTransfer.setData(FOLDER, id);
  event.dataTransfer.effectAllowed = 'move';
  event.stopPropagation();
}

/** Whether a drag carries a chat or folder (its id is readable only on drop). */
export function carriesItem(event: React.DragEvent): boolean {
  const types = Array.from(event.dataTransfer.types);
  return types.includes(CHAT) || types.includes(FOLDER);
}

export function dropped(event: React.DragEvent): IDropped | null {
  const chat = event.dataTransfer.getData(CHAT);
  if (chat) {
    return { kind: 'chat', id: chat };
  }
  const folder = event.dataTransfer.getData(FOLDER);
  return folder ? { kind: 'folder', id: folder } : null;
}

/** Marks drop targets, so that nested ones (a subfolder in an open folder) can tell whose a drag is. */
const DROP_TARGET = 'data-chat-ext-drop';

/** Whether `event`'s target is in `event.currentTarget` itself, not in a drop target nested in it. */
function isInnermost(event: React.DragEvent<HTMLElement>): boolean {
  const target = event.target as Element | null;
  return target?.closest?.(`[${DROP_TARGET}]`) === event.currentTarget;
}

/**
 * Props that make an element a drop target for chats and folders; `onDrop` gets what
 * was dropped, and `setOver` follows whether a drag hovers it (to highlight it). Drop
 * targets may nest (an open folder holds its chats and subfolders): the innermost one
 * under the pointer takes the drop and alone shows the highlight.
 */
export function dropTarget(
  onDrop: (item: IDropped) => void,
  setOver: (over: boolean) => void
): React.HTMLAttributes<HTMLElement> & { [DROP_TARGET]: string } {
  return {
    [DROP_TARGET]: '',
    onDragOver: event => {
      if (carriesItem(event)) {
        event.preventDefault();
        event.dataTransfer.dropEffect = 'move';
        setOver(isInnermost(event));
      }
    },
    onDragLeave: event => {
      const next = event.relatedTarget as Node | null;
      if (!next || !event.currentTarget.contains(next)) {
        setOver(false);
      }
    },
    onDrop: event => {
      setOver(false);
      if (!isInnermost(event)) {
        return;
      }
      const item = dropped(event);
      if (item) {
        event.preventDefault();
        onDrop(item);
      }
    }
  };
}
