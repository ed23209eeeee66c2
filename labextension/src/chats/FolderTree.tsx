import {
  Button,
  caretDownIcon,
  caretRightIcon,
  folderIcon
} from '@jupyterlab/ui-components';
import React, { useContext, useState } from 'react';

import { Folder } from '../api/client';
import { errorMessage } from '../errors';
import { ChatItem, ITEM_SHORTCUTS, itemKeys, MenuButton } from './ChatItem';
import { ChatListContext } from './context';
import { dragFolder, dropTarget } from './dnd';
import { folderTree, IFolderNode } from './grouping';

/** The user's folders as a tree; open folders list their chats. */
export function FolderTree(): JSX.Element | null {
  const { actions, trans } = useContext(ChatListContext);
  const nodes = folderTree(actions.model.folders);
  if (nodes.length === 0) {
    return null;
  }
  return (
    <section className="jp-ChatExt-folders">
      <h3 className="jp-ChatExt-group-label">{trans.__('Folders')}</h3>
      <ul className="jp-ChatExt-folderList" aria-label={trans.__('Folders')}>
        {nodes.map(node => (
          <FolderNode key={node.folder.id} node={node} />
        ))}
      </ul>
    </section>
  );
}

function FolderNode({ node }: { node: IFolderNode<Folder> }): JSX.Element {
  const { actions, trans } = useContext(ChatListContext);
  const { model } = actions;
  const { folder } = node;
  const expanded = model.isExpanded(folder.id);
  const [over, setOver] = useState(false);
  const Caret = expanded ? caretDownIcon : caretRightIcon;

  return (
    // The whole folder takes drops, its open contents too ("Drag one here" says so).
    <li
      className={`jp-ChatExt-folder${over ? ' jp-mod-dropTarget' : ''}`}
      data-folder-id={folder.id}
      {...dropTarget(item => void actions.drop(item, folder.id), setOver)}
    >
      <div
        className="jp-ChatExt-folder-row"
        style={{ paddingLeft: `${4 + node.depth * 12}px` }}
        draggable
        onDragStart={event => dragFolder(event, folder.id)}
        onContextMenu={event => {
          event.preventDefault();
          event.stopPropagation();
          actions.openFolderMenu(folder.id, event.clientX, event.clientY);
        }}
      >
        <button
          className="jp-ChatExt-folder-toggle"
          aria-expanded={expanded}
          onClick={() => model.setExpanded(folder.id, !expanded)}
          onKeyDown={itemKeys(
            (x, y, focus) => actions.openFolderMenu(folder.id, x, y, focus),
            {
              rename: () => void actions.renameFolder(folder.id),
              remove: () => void actions.deleteFolder(folder.id)
            }
          )}
          aria-keyshortcuts={ITEM_SHORTCUTS}
        >
          <Caret.react tag="span" className="jp-ChatExt-folder-caret" />
          <folderIcon.react tag="span" className="jp-ChatExt-folder-icon" />
          <span className="jp-ChatExt-folder-name">{folder.name}</span>
        </button>
        <MenuButton
          label={trans.__('Actions for the folder “%1”', folder.name)}
          className="jp-ChatExt-folder-menu"
          onOpen={(x, y, focus) =>
            actions.openFolderMenu(folder.id, x, y, focus)
          }
        />
      </div>
      {expanded && <FolderContents node={node} />}
    </li>
  );
}

function FolderContents({ node }: { node: IFolderNode<Folder> }): JSX.Element {
  const { actions, trans } = useContext(ChatListContext);
  const pager = actions.model.folderChats(node.folder.id);
  if (!pager) {
    return <></>;
  }
  const empty = pager.loaded && pager.items.length === 0;
  return (
    <ul
      className="jp-ChatExt-folder-contents"
      style={{ paddingLeft: `${(node.depth + 1) * 12}px` }}
    >
      {node.children.map(child => (
        <FolderNode key={child.folder.id} node={child} />
      ))}
      {pager.items.map(chat => (
        <ChatItem key={chat.id} chat={chat} showPin />
      ))}
      {!pager.loaded && !pager.error && (
        <li className="jp-ChatExt-status">{trans.__('Loading…')}</li>
      )}
      {empty && node.children.length === 0 && (
        <li className="jp-ChatExt-folder-empty">
          {trans.__('No chats in this folder. Drag one here.')}
        </li>
      )}
      {pager.error && (
        <li className="jp-ChatExt-error" role="alert">
          {trans.__(
            'Could not load chats: %1',
            errorMessage(pager.error, trans)
          )}
        </li>
      )}
      {pager.hasMore && (
        <li>
          <Button
            small
            minimal
            disabled={pager.loading}
            onClick={() => void pager.loadMore()}
          >
            {trans.__('Show more')}
          </Button>
        </li>
      )}
    </ul>
  );
}
