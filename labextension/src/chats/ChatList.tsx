import { Time } from '@jupyterlab/coreutils';
import { TranslationBundle } from '@jupyterlab/translation';
import { addIcon, Button } from '@jupyterlab/ui-components';
import React, { useCallback, useEffect, useRef, useState } from 'react';

import { ChatSummary } from '../api/client';
import { ChatListModel } from './model';

export interface IChatListProps {
  model: ChatListModel;
  trans: TranslationBundle;
}

/** The Chats panel's content: a "New chat" button over the list of chats. */
export function ChatList({ model, trans }: IChatListProps): JSX.Element {
  useModelChanges(model);
  const [createError, setCreateError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);

  const createChat = useCallback(async () => {
    setCreating(true);
    setCreateError(null);
    try {
      await model.createChat();
    } catch (error) {
      setCreateError(errorMessage(error));
    } finally {
      setCreating(false);
    }
  }, [model]);

  return (
    <div className="jp-ChatExt-chats">
      <div className="jp-ChatExt-chats-header">
        <h2 className="jp-ChatExt-chats-heading">{trans.__('Chats')}</h2>
        <Button
          className="jp-ChatExt-newChat"
          onClick={createChat}
          disabled={creating}
          small
        >
          <addIcon.react tag="span" className="jp-ChatExt-newChat-icon" />
          {trans.__('New chat')}
        </Button>
      </div>
      {createError && (
        <p className="jp-ChatExt-error" role="alert">
          {trans.__('Could not create a chat: %1', createError)}
        </p>
      )}
      <ChatListBody model={model} trans={trans} />
    </div>
  );
}

function ChatListBody({ model, trans }: IChatListProps): JSX.Element {
  const sentinel = useNextPageTrigger(model);

  if (model.error && !model.loaded) {
    return (
      <div className="jp-ChatExt-error" role="alert">
        <p>{trans.__('Could not load chats: %1', errorMessage(model.error))}</p>
        <Button onClick={() => void model.reload()} small>
          {trans.__('Retry')}
        </Button>
      </div>
    );
  }
  if (!model.loaded) {
    return <p className="jp-ChatExt-status">{trans.__('Loading chats…')}</p>;
  }
  if (model.items.length === 0) {
    return (
      <p className="jp-ChatExt-empty">
        {trans.__('No chats yet. Start one with “New chat”.')}
      </p>
    );
  }
  return (
    <div className="jp-ChatExt-chatList-scroller">
      <ul className="jp-ChatExt-chatList" aria-label={trans.__('Chats')}>
        {model.items.map(chat => (
          <ChatItem key={chat.id} chat={chat} trans={trans} />
        ))}
      </ul>
      <div ref={sentinel} className="jp-ChatExt-chatList-end">
        {model.loading && trans.__('Loading more…')}
        {model.error && (
          <Button onClick={() => void model.loadMore()} small>
            {trans.__('Retry')}
          </Button>
        )}
      </div>
    </div>
  );
}

function ChatItem({
  chat,
  trans
}: {
  chat: ChatSummary;
  trans: TranslationBundle;
}): JSX.Element {
  return (
    <li className="jp-ChatExt-chatItem" data-chat-id={chat.id}>
      <span className="jp-ChatExt-chatItem-title">{chat.title}</span>
      {chat.pinned && (
        <span className="jp-ChatExt-chatItem-pinned">{trans.__('Pinned')}</span>
      )}
      <time
        className="jp-ChatExt-chatItem-time"
        dateTime={chat.updated_at}
        title={Time.format(chat.updated_at)}
      >
        {Time.formatHuman(chat.updated_at)}
      </time>
    </li>
  );
}

/** Re-renders the calling component whenever the model changes. */
function useModelChanges(model: ChatListModel): void {
  const [, setVersion] = useState(0);
  useEffect(() => {
    const onChanged = () => setVersion(version => version + 1);
    model.changed.connect(onChanged);
    return () => {
      model.changed.disconnect(onChanged);
    };
  }, [model]);
}

/**
 * Returns a ref for an element at the end of the list; while that element is in
 * view, the next page is loaded. Checked again after each change, because a page too
 * short to fill the panel leaves the element in view without a new intersection.
 */
function useNextPageTrigger(
  model: ChatListModel
): (element: HTMLElement | null) => void {
  const inView = useRef(false);
  const observer = useRef<IntersectionObserver | null>(null);

  const loadIfInView = useCallback(() => {
    if (inView.current && model.hasMore && !model.loading && !model.error) {
      void model.loadMore();
    }
  }, [model]);

  useEffect(() => {
    model.changed.connect(loadIfInView);
    return () => {
      model.changed.disconnect(loadIfInView);
      observer.current?.disconnect();
    };
  }, [model, loadIfInView]);

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

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
