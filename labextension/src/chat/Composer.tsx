import { settingsIcon, stopIcon } from '@jupyterlab/ui-components';
import React, { useEffect, useMemo, useRef } from 'react';

import { IChatViewContext } from './context';
import { HistoryCursor } from './draft';
import { useSignals } from '../hooks';
import { sendIcon } from './icons';
import { SourceLabel } from './Message';
import { hasSettings } from './settings';
import { editChatSettings } from './SettingsDialog';

export interface IComposerProps {
  context: IChatViewContext;
  /** Why nothing can be sent now, shown in place of the placeholder; null when ready. */
  disabledReason: string | null;
  /** Whether an answer is being written (the send button becomes a stop button). */
  streaming: boolean;
  /** Whether a request is on its way (nothing more can be sent). */
  sending: boolean;
  sendOnEnter: boolean;
  onSend: () => void;
  onStop: () => void;
  /** The model selector, shown beside the buttons. */
  selector: React.ReactNode;
}

/**
 * The message input: multi-line, Enter sends and Shift+Enter breaks the line (or
 * Ctrl/Cmd+Enter sends, by preference), up and down arrows recall earlier prompts.
 */
export function Composer(props: IComposerProps): JSX.Element {
  const { context, disabledReason } = props;
  const { draft, trans } = context;
  useSignals(draft.changed);
  const input = useRef<HTMLTextAreaElement>(null);
  const cursor = useMemo(
    () =>
      new HistoryCursor(() => {
        const mine = context.model.messages
          .filter(message => message.role === 'user')
          .map(message => message.content);
        const others = context.history.items.filter(
          item => !mine.includes(item)
        );
        return [...others, ...mine];
      }),
    [context]
  );
  useEffect(() => {
    if (disabledReason === null && draft.takeFocusRequest()) {
      input.current?.focus();
    }
  });
  const canSend =
    !disabledReason &&
    !props.sending &&
    !props.streaming &&
    !!draft.text.trim();

  const recall = (text: string | null) => {
    if (text === null) {
      return;
    }
    draft.setText(text);
    requestAnimationFrame(() => {
      const element = input.current;
      element?.setSelectionRange(text.length, text.length);
    });
  };

  const onKeyDown = (event: React.KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.nativeEvent.isComposing) {
      return;
    }
    const element = event.currentTarget;
    const { selectionStart, selectionEnd, value } = element;
    if (event.key === 'Enter') {
      const accel = event.ctrlKey || event.metaKey;
      const sends = props.sendOnEnter
        ? !event.shiftKey && !event.altKey
        : accel;
      if (sends) {
        event.preventDefault();
        if (canSend) {
          cursor.reset();
          props.onSend();
        }
      }
      return;
    }
    const noSelection = selectionStart === selectionEnd;
    if (
      event.key === 'ArrowUp' &&
      noSelection &&
      !value.slice(0, selectionStart).includes('\n')
    ) {
      const previous = cursor.back(value);
      if (previous !== null) {
        event.preventDefault();
        recall(previous);
      }
    } else if (
      event.key === 'ArrowDown' &&
      noSelection &&
      cursor.browsing &&
      !value.slice(selectionEnd).includes('\n')
    ) {
      event.preventDefault();
      recall(cursor.forward());
    }
  };

  const hint = props.sendOnEnter
    ? trans.__('Enter to send, Shift+Enter for a new line')
    : trans.__('Ctrl+Enter to send, Enter for a new line');
  const lines = draft.text.split('\n').length;

  return (
    <div className="jp-ChatExt-composer">
      {draft.source && (
        <div className="jp-ChatExt-composerSource">
          <SourceLabel
            source={draft.source}
            context={context}
            onRemove={() => draft.clearSource()}
          />
        </div>
      )}
      <textarea
        ref={input}
        className="jp-ChatExt-input jp-mod-styled"
        aria-label={trans.__('Message')}
        title={disabledReason ?? hint}
        placeholder={disabledReason ?? trans.__('Ask anything… (%1)', hint)}
        disabled={disabledReason !== null}
        rows={Math.min(12, Math.max(2, lines))}
        value={draft.text}
        onChange={event => {
          cursor.reset();
          draft.setText(event.target.value);
        }}
        onKeyDown={onKeyDown}
      />
      <div className="jp-ChatExt-composerBar">
        {props.selector}
        <SettingsButton context={context} />
        <span className="jp-ChatExt-composerHint">
          {disabledReason === null ? hint : ''}
        </span>
        {props.streaming ? (
          <button
            type="button"
            className="jp-ChatExt-primaryButton jp-ChatExt-stop"
            onClick={() => {
              // This button gives way to Send: keep the focus where typing goes on.
              input.current?.focus();
              props.onStop();
            }}
            title={trans.__(
              'Stop writing the answer; what was written is kept'
            )}
          >
            <stopIcon.react tag="span" />
            {trans.__('Stop')}
          </button>
        ) : (
          <button
            type="button"
            className="jp-ChatExt-primaryButton jp-ChatExt-send"
            disabled={!canSend}
            onClick={() => {
              cursor.reset();
              // This button gives way to Stop: keep the focus where typing goes on.
              input.current?.focus();
              props.onSend();
            }}
            title={hint}
          >
            <sendIcon.react tag="span" />
            {trans.__('Send')}
          </button>
        )}
      </div>
    </div>
  );
}

/** Opens the chat's settings; marked while the chat has some. */
function SettingsButton(props: { context: IChatViewContext }): JSX.Element {
  const { model, trans } = props.context;
  const active = hasSettings(model.settings);
  const open = () =>
    editChatSettings(model.settings, trans, settings =>
      model.saveSettings(settings)
    );
  return (
    <button
      type="button"
      className={`jp-ChatExt-iconButton jp-ChatExt-settingsButton${active ? ' jp-mod-active' : ''}`}
      aria-label={trans.__('Chat settings')}
      aria-pressed={active}
      title={
        active
          ? trans.__("This chat's own system prompt and parameters are set")
          : trans.__('Set a system prompt and parameters for this chat')
      }
      onClick={() => void open()}
    >
      <settingsIcon.react tag="span" />
    </button>
  );
}
