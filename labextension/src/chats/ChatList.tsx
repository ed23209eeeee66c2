import { TranslationBundle } from '@jupyterlab/translation';
import {
  addIcon,
  Button,
  HTMLSelect,
  InputGroup,
  newFolderIcon
} from '@jupyterlab/ui-components';
import React, {
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState
} from 'react';

import { ChatSummary } from '../api/client';
import { errorMessage } from '../errors';
import { useSignals } from '../hooks';
import { ChatListActions } from './actions';
import { ChatItem, MenuButton } from './ChatItem';
import { ChatListContext } from './context';
import { dropTarget } from './dnd';
import { useFocusKeeper } from './focus';
import { FolderTree } from './FolderTree';
import { GroupKey, groupChats } from './grouping';
import { ChatListModel } from './model';
import { ChatPager } from './pager';

const SEARCH_DELAY_MS = 250;

export interface IChatListProps {
  actions: ChatListActions;
  trans: TranslationBundle;
}

/** The Chats panel's list: header, search and filters, folders, grouped chats. */
export function ChatList({ actions, trans }: IChatListProps): JSX.Element {
  const model = actions.model;
  useSignals(model.changed);
  const context = useMemo(() => ({ actions, trans }), [actions, trans]);
  const focusKeeper = useFocusKeeper();

  return (
    <ChatListContext.Provider value={context}>
      <div className="jp-ChatExt-chats" {...focusKeeper}>
        <div className="jp-ChatExt-chats-header">
          <h2 className="jp-ChatExt-chats-heading">
            {model.filter.archived ? trans.__('Archived') : trans.__('Chats')}
          </h2>
          <div className="jp-ChatExt-chats-actions">
            <MenuButton
              label={trans.__('More actions')}
              className="jp-ChatExt-listMenuButton"
              onOpen={(x, y, focus) => actions.openListMenu(x, y, focus)}
            />
            <button
              className="jp-ChatExt-iconButton jp-ChatExt-newFolder"
              title={trans.__('New folder')}
              aria-label={trans.__('New folder')}
              onClick={() => void actions.newFolder(null)}
            >
              <newFolderIcon.react tag="span" />
            </button>
            <Button
              className="jp-ChatExt-newChat"
              onClick={() => void actions.newChat()}
              small
            >
              <addIcon.react tag="span" className="jp-ChatExt-newChat-icon" />
              {trans.__('New chat')}
            </Button>
          </div>
        </div>
        <Filters model={model} trans={trans} />
        {model.error && (
          <p className="jp-ChatExt-error" role="alert">
            {trans.__(
              'Could not load folders or tags: %1',
              errorMessage(model.error, trans)
            )}
          </p>
        )}
        <ChatListBody model={model} trans={trans} />
      </div>
    </ChatListContext.Provider>
  );
}

/** The search box, the tag filter and the archived switch. */
function Filters({
  model,
  trans
}: {
  model: ChatListModel;
  trans: TranslationBundle;
}): JSX.Element {
  const [query, setQuery] = useState(model.filter.q);
  useEffect(() => {
    const timer = window.setTimeout(
      () => model.setFilter({ q: query }),
      SEARCH_DELAY_MS
    );
    return () => window.clearTimeout(timer);
  }, [model, query]);

  const { tag, archived } = model.filter;
  const tagNames = model.tags.map(known => known.name);
  const options = [
    { label: trans.__('All tags'), value: '' },
    ...model.tags.map(known => ({
      label: `${known.name} (${known.chat_count})`,
      value: known.name
    })),
    ...(tag && !tagNames.includes(tag) ? [{ label: tag, value: tag }] : [])
  ];

  return (
    <div className="jp-ChatExt-filters">
      <InputGroup
        className="jp-ChatExt-search"
        type="search"
        value={query}
        placeholder={trans.__('Search chats')}
        aria-label={trans.__('Search chats')}
        rightIcon="ui-components:search"
        onChange={event => setQuery(event.currentTarget.value)}
        onKeyDown={event => {
          if (event.key === 'Escape' && query) {
            event.stopPropagation();
            setQuery('');
          }
        }}
      />
      <div className="jp-ChatExt-filters-row">
        <HTMLSelect
          className="jp-ChatExt-tagFilter"
          aria-label={trans.__('Filter by tag')}
          value={tag}
          options={options}
          onChange={event =>
            model.setFilter({ tag: event.currentTarget.value })
          }
        />
        <button
          className={`jp-ChatExt-toggle jp-ChatExt-archivedToggle${
            archived ? ' jp-mod-active' : ''
          }`}
          aria-pressed={archived}
          onClick={() => model.setFilter({ archived: !archived })}
        >
          {trans.__('Archived')}
        </button>
      </div>
    </div>
  );
}

function ChatListBody({
  model,
  trans
}: {
  model: ChatListModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { actions } = useContext(ChatListContext);
  const main = model.results ?? model.recent;
  const sentinel = useNextPageTrigger(model, main);
  const [over, setOver] = useState(false);

  if (main.error && !main.loaded) {
    return (
      <div className="jp-ChatExt-error" role="alert">
        <p>
          {trans.__(
            'Could not load chats: %1',
            errorMessage(main.error, trans)
          )}
        </p>
        <Button onClick={() => void main.reload()} small>
          {trans.__('Retry')}
        </Button>
      </div>
    );
  }
  if (!main.loaded) {
    return <p className="jp-ChatExt-status">{trans.__('Loading chats…')}</p>;
  }

  const chats = model.results
    ? model.results.items
    : [...model.pinned.items, ...model.recent.items];
  const browsing = !model.filtering;
  const nothing =
    chats.length === 0 && (!browsing || model.folders.length === 0);

  return (
    <div
      className={`jp-ChatExt-chatList-scroller${over ? ' jp-mod-dropTarget' : ''}`}
      {...(browsing
        ? dropTarget(item => void actions.drop(item, null), setOver)
        : {})}
    >
      {browsing && <FolderTree />}
      {nothing ? (
        <p className="jp-ChatExt-empty">
          {browsing
            ? trans.__('No chats yet. Start one with “New chat”.')
            : model.filter.archived && !model.filter.q && !model.filter.tag
              ? trans.__('No archived chats.')
              : trans.__('No chats match.')}
        </p>
      ) : (
        <GroupedChats chats={chats} trans={trans} />
      )}
      <div ref={sentinel} className="jp-ChatExt-chatList-end">
        {main.loading && trans.__('Loading more…')}
        {main.error && (
          <Button onClick={() => void main.loadMore()} small>
            {trans.__('Retry')}
          </Button>
        )}
      </div>
    </div>
  );
}

function GroupedChats({
  chats,
  trans
}: {
  chats: readonly ChatSummary[];
  trans: TranslationBundle;
}): JSX.Element {
  const now = new Date();
  return (
    <>
      {groupChats(chats, now).map(group => (
        <section
          key={group.key}
          className="jp-ChatExt-group"
          data-group={group.key}
        >
          <h3 className="jp-ChatExt-group-label">
            {groupLabel(group.key, now, trans)}
          </h3>
          <ul
            className="jp-ChatExt-chatList"
            aria-label={groupLabel(group.key, now, trans)}
          >
            {group.items.map(chat => (
              <ChatItem key={chat.id} chat={chat} />
            ))}
          </ul>
        </section>
      ))}
    </>
  );
}

function groupLabel(
  key: GroupKey,
  now: Date,
  trans: TranslationBundle
): string {
  switch (key) {
    case 'pinned':
      return trans.__('Pinned');
    case 'today':
      return trans.__('Today');
    case 'week':
      return trans.__('Previous 7 days');
    case 'month':
      return trans.__('Previous 30 days');
    default: {
      const [year, month] = key.split('-').map(Number);
      const sameYear = year === now.getFullYear();
      return new Date(year, month - 1, 1).toLocaleDateString(undefined, {
        month: 'long',
        year: sameYear ? undefined : 'numeric'
      });
    }
  }
}

/** Re-renders the calling component whenever the model changes. */
/**
 * Returns a ref for an element at the end of the list; while that element is in
 * view, the next page of `pager` is loaded. Checked again after each change, because a
 * page too short to fill the panel leaves the element in view without a new intersection.
 */
function useNextPageTrigger(
  model: ChatListModel,
  pager: ChatPager
): (element: HTMLElement | null) => void {
  const inView = useRef(false);
  const observer = useRef<IntersectionObserver | null>(null);

  const loadIfInView = useCallback(() => {
    if (inView.current && pager.hasMore && !pager.loading && !pager.error) {
      void pager.loadMore();
    }
  }, [pager]);

  useEffect(() => {
    model.changed.connect(loadIfInView);
    return () => {
      model.changed.disconnect(loadIfInView);
    };
  }, [model, loadIfInView]);

  useEffect(() => () => observer.current?.disconnect(), []);

  return useCallback(
    (element: HTMLElement | null) => {
      observer.current?.disconnect();
      observer.current = null;
      inView.current = false;
      if (!element) {
        return;
      }
      observer.current = new IntersectionObserver(entries => {
        inView.current = entries.some(entry => entry.isIntersecting);
        loadIfInView();
      });
      observer.current.observe(element);
    },
    [loadIfInView]
  );
}
