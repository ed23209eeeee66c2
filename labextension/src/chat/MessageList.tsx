import { caretDownIcon } from '@jupyterlab/ui-components';
import React, { useCallback, useEffect, useRef, useState } from 'react';

import { IChatViewContext } from './context';
import { MessageItem } from './Message';
import { IViewMessage } from './messages';

/** How close to the bottom (px) still counts as "at the bottom". */
const BOTTOM_SLACK = 40;

/**
 * The branch's messages, newest at the bottom. While the view is scrolled to the
 * bottom it stays there as answers grow; scrolling up stops that until the user
 * comes back down (or sends). Scrolling to the top loads earlier messages.
 */
export function MessageList(props: {
  context: IChatViewContext;
  messages: readonly IViewMessage[];
  busy: boolean;
  showUsage: boolean;
  /** The model a regenerate or retry uses (none before the model list comes). */
  selectedModel: string | null;
  /** Changes when the view must jump to the bottom (a message was sent). */
  followToken: number;
  children?: React.ReactNode;
}): JSX.Element {
  const { context, messages } = props;
  const { model, trans } = context;
  const scroller = useRef<HTMLDivElement>(null);
  const content = useRef<HTMLDivElement>(null);
  const following = useRef(true);
  const [away, setAway] = useState(false);

  const toBottom = useCallback(() => {
    const element = scroller.current;
    if (element) {
      element.scrollTop = element.scrollHeight;
    }
  }, []);

  const follow = useCallback(() => {
    following.current = true;
    setAway(false);
    toBottom();
  }, [toBottom]);

  useEffect(follow, [props.followToken, follow]);

  useEffect(() => {
    const observer = new ResizeObserver(() => {
      if (following.current) {
        toBottom();
      }
    });
    observer.observe(content.current!);
    return () => observer.disconnect();
  }, [toBottom]);

  // Earlier messages load when the top comes into view.
  const sentinel = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = sentinel.current;
    if (!element) {
      return;
    }
    const observer = new IntersectionObserver(
      entries => {
        if (entries.some(entry => entry.isIntersecting) && !following.current) {
          void model.loadEarlier();
        }
      },
      { root: scroller.current }
    );
    observer.observe(element);
    return () => observer.disconnect();
  }, [model, model.hasEarlier]);

  // Only the user leaves the bottom: scrolls caused by content changing size (and the
  // browser's scroll anchoring) must not stop the view from following.
  const leave = () => {
    following.current = false;
    setAway(true);
  };

  const onScroll = () => {
    const element = scroller.current!;
    const atBottom =
      element.scrollHeight - element.scrollTop - element.clientHeight <
      BOTTOM_SLACK;
    if (atBottom) {
      following.current = true;
    }
    setAway(!following.current);
  };

  const onWheel = (event: React.WheelEvent) => {
    if (event.deltaY < 0) {
      leave();
    }
  };

  const onKeyDown = (event: React.KeyboardEvent) => {
    if (['ArrowUp', 'PageUp', 'Home'].includes(event.key)) {
      leave();
    }
  };

  const onPointerDown = (event: React.PointerEvent) => {
    // On the scroller itself, not a message: its scroll bar.
    if (event.target === scroller.current) {
      leave();
    }
  };

  return (
    <div className="jp-ChatExt-messagesFrame">
      <div
        ref={scroller}
        className="jp-ChatExt-messages"
        onScroll={onScroll}
        onWheel={onWheel}
        onKeyDown={onKeyDown}
        onPointerDown={onPointerDown}
        onTouchMove={leave}
        role="log"
        aria-label={trans.__('Messages')}
        // The answer being written is rendered again a few times a second: screen
        // readers would read it again each time, rather than once it is written.
        aria-busy={props.busy}
        tabIndex={0}
      >
        <div ref={content} className="jp-ChatExt-messagesContent">
          {model.hasEarlier && (
            <div ref={sentinel} className="jp-ChatExt-earlier">
              <button
                type="button"
                className="jp-ChatExt-textButton"
                disabled={model.loadingEarlier}
                onClick={() => void model.loadEarlier()}
              >
                {model.loadingEarlier
                  ? trans.__('Loading earlier messages…')
                  : trans.__('Load earlier messages')}
              </button>
            </div>
          )}
          {messages.map((message, index) => (
            <MessageItem
              key={message.id}
              message={message}
              index={index}
              busy={props.busy}
              showUsage={props.showUsage}
              selectedModel={props.selectedModel}
              modelName={
                context.catalog.find(message.model)?.name ?? message.model ?? ''
              }
              context={context}
            />
          ))}
          {props.children}
        </div>
      </div>
      {away && (
        <button
          type="button"
          className="jp-ChatExt-jump"
          title={trans.__('Scroll to the latest message')}
          onClick={follow}
        >
          <caretDownIcon.react tag="span" />
          {trans.__('Latest')}
        </button>
      )}
    </div>
  );
}
