import { Time } from '@jupyterlab/coreutils';
import { ellipsesIcon } from '@jupyterlab/ui-components';
import React, { useContext } from 'react';

import { ChatSummary } from '../api/client';
import { ChatListContext } from './context';
import { dragChat } from './dnd';
import { pinIcon } from './icons';

/**
 * One chat in the list: opens on click, menu on right click, ⋯ or Shift+F10; F2 renames
 * it and Delete deletes it (after asking), as in JupyterLab's file browser.
 */
export function ChatItem({
  chat,
  showPin
}: {
  chat: ChatSummary;
  showPin?: boolean;
}): JSX.Element {
  const { actions, trans } = useContext(ChatListContext);
  const active = actions.model.activeChatId === chat.id;
  const openMenuAt = (x: number, y: number, focus?: HTMLElement) =>
    actions.openChatMenu(chat, x, y, focus);

  return (
    <li
      className={`jp-ChatExt-chatItem${active ? ' jp-mod-active' : ''}`}
      data-chat-id={chat.id}
      draggable
      onDragStart={event => dragChat(event, chat.id)}
      onContextMenu={event => {
        event.preventDefault();
        event.stopPropagation();
        openMenuAt(event.clientX, event.clientY);
      }}
    >
      <button
        className="jp-ChatExt-chatItem-open"
        aria-current={active ? 'true' : undefined}
        onClick={() => actions.openChat(chat.id, 'panel')}
        onKeyDown={itemKeys(openMenuAt, {
          rename: () => void actions.renameChat(chat.id),
          remove: () => void actions.deleteChat(chat.id)
        })}
        aria-keyshortcuts={ITEM_SHORTCUTS}
        title={chat.title}
      >
        {showPin && chat.pinned && (
          <pinIcon.react
            tag="span"
            className="jp-ChatExt-chatItem-pinned"
            title={trans.__('Pinned')}
          />
        )}
        <span className="jp-ChatExt-chatItem-title">{chat.title}</span>
        {chat.tags.map(tag => (
          <span key={tag} className="jp-ChatExt-tag">
            {tag}
          </span>
        ))}
      </button>
      <time
        className="jp-ChatExt-chatItem-time"
        dateTime={chat.updated_at}
        title={Time.format(chat.updated_at)}
      >
        {Time.formatHuman(chat.updated_at)}
      </time>
      <MenuButton
        label={trans.__('Actions for “%1”', chat.title)}
        className="jp-ChatExt-chatItem-menu"
        onOpen={openMenuAt}
      />
    </li>
  );
}

/** The keys a chat or folder row answers, for screen readers. */
export const ITEM_SHORTCUTS = 'Shift+F10 F2 Delete';

/** A row's menu keys (see `menuKeys`), with F2 to rename it and Delete to delete it. */
export function itemKeys(
  open: (x: number, y: number, focus: HTMLElement) => void,
  { rename, remove }: { rename: () => void; remove: () => void }
): (event: React.KeyboardEvent<HTMLElement>) => void {
  const menu = menuKeys(open);
  return event => {
    const plain =
      !event.shiftKey && !event.altKey && !event.ctrlKey && !event.metaKey;
    if (plain && event.key === 'F2') {
      event.preventDefault();
      event.stopPropagation();
      rename();
    } else if (plain && event.key === 'Delete') {
      event.preventDefault();
      event.stopPropagation();
      remove();
    } else {
      menu(event);
    }
  };
}

/**
 * A key handler that opens a menu below the focused element on the ContextMenu key or
 * Shift+F10, as JupyterLab's own lists do.
 */
export function menuKeys(
  open: (x: number, y: number, focus: HTMLElement) => void
): (event: React.KeyboardEvent<HTMLElement>) => void {
  return event => {
    if (
      event.key === 'ContextMenu' ||
      (event.key === 'F10' && event.shiftKey)
    ) {
      event.preventDefault();
      const box = event.currentTarget.getBoundingClientRect();
      open(box.left, box.bottom, event.currentTarget);
    }
  };
}

/** A ⋯ button that opens a menu below itself and takes the focus back after. */
export function MenuButton({
  label,
  className,
  onOpen
}: {
  label: string;
  className: string;
  onOpen: (x: number, y: number, focus: HTMLElement) => void;
}): JSX.Element {
  return (
    <button
      className={`jp-ChatExt-menuButton ${className}`}
      aria-label={label}
      aria-haspopup="menu"
      title={label}
      onClick={event => {
        event.stopPropagation();
        const box = event.currentTarget.getBoundingClientRect();
        onOpen(box.left, box.bottom, event.currentTarget);
      }}
    >
      <ellipsesIcon.react tag="span" />
    </button>
  );
}
