import { Time } from '@jupyterlab/coreutils';
import { PathExt } from '@jupyterlab/coreutils';
import {
  caretLeftIcon,
  caretRightIcon,
  copyIcon,
  editIcon,
  LabIcon,
  notebookIcon,
  refreshIcon
} from '@jupyterlab/ui-components';
import React, { memo, useEffect, useRef, useState } from 'react';

import { IUsage } from '../api/sse';
import { CommandIDs } from '../commands';
import { IChatViewContext } from './context';
import { codeOf, releaseImage } from './decorate';
import { MarkdownView } from './markdown';
import { isPending, ISource, IViewMessage } from './messages';
import { Reasoning } from './Reasoning';

export interface IMessageProps {
  message: IViewMessage;
  /** Position in the list: later messages render first. */
  index: number;
  /** Whether an answer is being written or requested (branching waits). */
  busy: boolean;
  showUsage: boolean;
  /**
   * The model a regenerate or retry uses, and the name of the one that answered: props,
   * not read from the context, so that this memoized item renders again when the model
   * list comes after the messages (as after a reload).
   */
  selectedModel: string | null;
  modelName: string;
  context: IChatViewContext;
}

/** The chat view's message input, where typing goes on after an action. */
export function composerInput(root: HTMLElement): HTMLElement | null {
  return root.querySelector('.jp-ChatExt-composer textarea');
}

/** A control of a message, by its `kind`. */
function controlOf(
  root: HTMLElement,
  messageId: string,
  kind: string
): HTMLElement | null {
  return root.querySelector(
    `[data-message-id="${CSS.escape(messageId)}"] [data-kind="${kind}"]`
  );
}

/** One message: who wrote it, its rendered text, and what can be done with it. */
export const MessageItem = memo(function MessageItem(
  props: IMessageProps
): JSX.Element {
  const { message, context, busy, selectedModel, modelName } = props;
  const { trans, model } = context;
  // The text of the edit being made (null: not editing); a refused edit opens again.
  const [editing, setEditing] = useState<string | null>(() =>
    model.takeRefusedEdit(message.id)
  );
  const status = message.meta?.status as string | undefined;
  const pending = isPending(message.id);
  const isUser = message.role === 'user';

  return (
    <article
      className={`jp-ChatExt-message jp-ChatExt-message-${message.role}`}
      data-message-id={message.id}
      data-status={message.streaming ? 'streaming' : (status ?? '')}
      aria-label={
        isUser
          ? trans.__('Your message')
          : trans.__('Answer from %1', modelName)
      }
    >
      <header className="jp-ChatExt-messageHeader">
        <span className="jp-ChatExt-messageAuthor">
          {isUser ? trans.__('You') : modelName || trans.__('Assistant')}
        </span>
        <SourceChip message={message} context={context} />
        {message.sibling_ids.length > 1 && (
          <Siblings message={message} context={context} disabled={busy} />
        )}
      </header>
      {editing !== null ? (
        <EditBox
          message={message}
          initial={editing}
          context={context}
          onDone={() => setEditing(null)}
        />
      ) : (
        <>
          {!isUser && <Reasoning message={message} context={context} />}
          <MessageBody
            message={message}
            index={props.index}
            context={context}
          />
        </>
      )}
      {message.streaming && (
        <div className="jp-ChatExt-typing" aria-live="polite">
          {trans.__('Writing…')}
        </div>
      )}
      {status === 'error' && !message.streaming && (
        // Announced only when it fails in view: an error stored before is shown, not
        // read out again each time the chat opens or its branch is shown.
        <div
          className="jp-ChatExt-messageError"
          role={model.failedInView(message) ? 'alert' : undefined}
        >
          <span>
            {String(message.meta.error ?? trans.__('The answer failed.'))}
          </span>
          <button
            type="button"
            className="jp-ChatExt-textButton"
            disabled={busy || !selectedModel}
            onClick={() => {
              // The message gives way to the new answer: typing goes on in the input.
              context.focus.request(composerInput);
              void model.regenerate(
                message,
                selectedModel ?? message.model ?? ''
              );
            }}
          >
            {trans.__('Retry')}
          </button>
        </div>
      )}
      {status === 'stopped' && !message.streaming && (
        <div className="jp-ChatExt-messageNote">{trans.__('Stopped.')}</div>
      )}
      {status === 'done' &&
        message.meta.finish_reason === 'length' &&
        !message.streaming && (
          // Else an answer that ends mid-sentence reads as the model's whole say.
          <div className="jp-ChatExt-messageNote">
            {trans.__(
              'Cut short at its token limit (Max tokens, in the chat settings).'
            )}
          </div>
        )}
      {!editing && !pending && (
        <footer className="jp-ChatExt-messageFooter">
          <div className="jp-ChatExt-messageActions">
            <IconButton
              icon={copyIcon}
              label={trans.__('Copy')}
              title={trans.__('Copy the message as Markdown')}
              onClick={() => context.copy(model.textOf(message))}
            />
            {isUser && (
              <IconButton
                icon={editIcon}
                kind="edit"
                label={trans.__('Edit')}
                title={trans.__('Edit and send again, as a new branch')}
                disabled={busy}
                onClick={() => setEditing(message.content)}
              />
            )}
            {!isUser && (
              <IconButton
                icon={refreshIcon}
                label={trans.__('Regenerate')}
                title={trans.__('Answer again, as a new branch')}
                disabled={busy || !selectedModel}
                onClick={() => {
                  // The message gives way to the new answer: typing goes on in the input.
                  context.focus.request(composerInput);
                  void model.regenerate(message, selectedModel!);
                }}
              />
            )}
          </div>
          <MessageFacts
            message={message}
            showUsage={props.showUsage && !isUser}
            context={context}
          />
        </footer>
      )}
    </article>
  );
});

/** The message's text, rendered by a {@link MarkdownView} that follows the stream. */
function MessageBody(props: {
  message: IViewMessage;
  index: number;
  context: IChatViewContext;
}): JSX.Element {
  const { message, context } = props;
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<MarkdownView | null>(null);
  const priority = useRef(props.index);
  priority.current = message.streaming ? Number.MAX_SAFE_INTEGER : props.index;

  useEffect(() => {
    view.current = new MarkdownView(
      host.current!,
      context.markdown,
      () => priority.current
    );
    return () => view.current?.dispose();
  }, [context]);

  useEffect(() => {
    view.current?.update(
      context.model.textOf(message),
      message.streaming ?? false
    );
    if (!message.streaming) {
      return;
    }
    const onText = (_: unknown, id: string) => {
      if (id === message.id) {
        view.current?.update(context.model.textOf(message), true);
      }
    };
    context.model.textChanged.connect(onText);
    return () => {
      context.model.textChanged.disconnect(onText);
    };
  }, [message, context]);

  const onClick = (event: React.MouseEvent) => {
    const button = (event.target as HTMLElement).closest<HTMLElement>(
      'button[data-action]'
    );
    if (!button || !host.current?.contains(button)) {
      return;
    }
    const action = button.dataset.action;
    if (action === 'load-image') {
      releaseImage(button);
    } else if (action === 'copy' || action === 'insert' || action === 'run') {
      const { code, language } = codeOf(button);
      context.codeAction(action, code, language);
    }
  };

  return (
    // Clicks come from the buttons that rendering adds inside.
    // eslint-disable-next-line jsx-a11y/click-events-have-key-events
    <div
      ref={host}
      className="jp-ChatExt-messageBody jp-RenderedHTMLCommon jp-RenderedMarkdown"
      onClick={onClick}
    />
  );
}

function EditBox(props: {
  message: IViewMessage;
  initial: string;
  context: IChatViewContext;
  onDone: () => void;
}): JSX.Element {
  const { message, context, onDone } = props;
  const { trans } = context;
  const [text, setText] = useState(props.initial);
  const model = context.selectedModel();
  // The edit box goes: the focus goes back to Edit when cancelled, or on to the input
  // when sent (the message gives way to the new version).
  const cancel = () => {
    context.focus.request(root => controlOf(root, message.id, 'edit'));
    onDone();
  };
  const submit = () => {
    if (model && text.trim()) {
      context.focus.request(composerInput);
      onDone();
      void context.model.edit(message, text, model);
    }
  };
  return (
    <div className="jp-ChatExt-editBox">
      <textarea
        className="jp-ChatExt-input jp-mod-styled"
        aria-label={trans.__('Edit message')}
        autoFocus
        rows={Math.min(12, Math.max(2, text.split('\n').length))}
        value={text}
        onChange={event => setText(event.target.value)}
        onKeyDown={event => {
          if (event.key === 'Escape') {
            event.preventDefault();
            cancel();
          } else if (
            event.key === 'Enter' &&
            (event.ctrlKey || event.metaKey)
          ) {
            event.preventDefault();
            submit();
          }
        }}
      />
      <div className="jp-ChatExt-editActions">
        <button
          type="button"
          className="jp-ChatExt-textButton"
          onClick={cancel}
        >
          {trans.__('Cancel')}
        </button>
        <button
          type="button"
          className="jp-ChatExt-primaryButton"
          disabled={!model || !text.trim()}
          onClick={submit}
        >
          {trans.__('Send')}
        </button>
      </div>
    </div>
  );
}

/** `< 2/3 >`: moves between the versions of a message (edits, regenerations). */
function Siblings(props: {
  message: IViewMessage;
  context: IChatViewContext;
  disabled: boolean;
}): JSX.Element {
  const { message, context, disabled } = props;
  const { trans } = context;
  const ids = message.sibling_ids;
  const index = ids.indexOf(message.id);
  const go = (step: number) => {
    const target = ids[index + step];
    if (target) {
      // The version shown takes this one's place: the focus stays on the switcher, on
      // the same arrow while there are more versions that way.
      const kind = step < 0 ? 'previous' : 'next';
      const other = step < 0 ? 'next' : 'previous';
      context.focus.request(root => {
        const same = controlOf(root, target, kind);
        return same && !(same as HTMLButtonElement).disabled
          ? same
          : controlOf(root, target, other);
      });
      void context.model.showSibling(target);
    }
  };
  return (
    <span
      className="jp-ChatExt-siblings"
      role="group"
      // "2/3" alone is read as a fraction or a date: the group says what it counts.
      aria-label={trans.__('Version %1 of %2', index + 1, ids.length)}
    >
      <IconButton
        icon={caretLeftIcon}
        kind="previous"
        title={trans.__('Previous version')}
        disabled={disabled || index <= 0}
        onClick={() => go(-1)}
      />
      <span className="jp-ChatExt-siblingPosition" aria-hidden="true">
        {trans.__('%1/%2', index + 1, ids.length)}
      </span>
      <IconButton
        icon={caretRightIcon}
        kind="next"
        title={trans.__('Next version')}
        disabled={disabled || index >= ids.length - 1}
        onClick={() => go(1)}
      />
    </span>
  );
}

/** "From analysis.ipynb, cell 3": opens the notebook a message came from at that cell. */
function SourceChip(props: {
  message: IViewMessage;
  context: IChatViewContext;
}): JSX.Element | null {
  const source = props.message.meta?.source as ISource | undefined;
  if (!source || typeof source.notebook !== 'string') {
    return null;
  }
  return <SourceLabel source={source} context={props.context} />;
}

export function SourceLabel(props: {
  source: ISource;
  context: IChatViewContext;
  onRemove?: () => void;
}): JSX.Element {
  const { source, context } = props;
  const { trans } = context;
  const name = PathExt.basename(source.notebook);
  const label =
    source.cell === undefined
      ? trans.__('From %1', name)
      : trans.__('From %1, cell %2', name, source.cell + 1);
  return (
    <span className="jp-ChatExt-source">
      <button
        type="button"
        className="jp-ChatExt-sourceButton"
        title={trans.__('Open %1', source.notebook)}
        onClick={() => {
          // Without the notebook commands (no notebook support), the notebook alone.
          const command = context.commands.hasCommand(CommandIDs.openSource)
            ? CommandIDs.openSource
            : 'docmanager:open';
          void context.commands.execute(command, {
            path: source.notebook,
            notebook: source.notebook,
            cell: source.cell ?? null,
            cellId: source.cellId ?? null
          });
        }}
      >
        <notebookIcon.react tag="span" className="jp-ChatExt-sourceIcon" />
        {label}
      </button>
      {props.onRemove && (
        <button
          type="button"
          className="jp-ChatExt-textButton"
          aria-label={trans.__('Remove the link to %1', name)}
          title={trans.__('Remove the link to %1', name)}
          onClick={props.onRemove}
        >
          ×
        </button>
      )}
    </span>
  );
}

/** Model, token usage and timing of an answer; the time of a question. */
function MessageFacts(props: {
  message: IViewMessage;
  showUsage: boolean;
  context: IChatViewContext;
}): JSX.Element {
  const { message, context, showUsage } = props;
  const { trans } = context;
  const meta = message.meta ?? {};
  const facts: string[] = [];
  if (showUsage) {
    const usage = meta.usage as IUsage | undefined;
    if (usage?.completion_tokens !== undefined) {
      facts.push(
        trans.__(
          '%1 → %2 tokens',
          usage.prompt_tokens ?? '?',
          usage.completion_tokens
        )
      );
    }
    const duration = meta.duration_ms as number | undefined;
    if (typeof duration === 'number') {
      facts.push(trans.__('%1 s', (duration / 1000).toFixed(1)));
    }
    const ttft = meta.ttft_ms as number | undefined;
    if (typeof ttft === 'number') {
      facts.push(trans.__('first token %1 s', (ttft / 1000).toFixed(2)));
    }
  }
  return (
    <div className="jp-ChatExt-messageFacts">
      {facts.length > 0 && (
        <span className="jp-ChatExt-usage">{facts.join(' · ')}</span>
      )}
      <time
        dateTime={message.created_at}
        title={Time.format(message.created_at)}
      >
        {Time.formatHuman(message.created_at)}
      </time>
    </div>
  );
}

export function IconButton(props: {
  icon: LabIcon;
  /** What it does, for finding it again once re-rendered (`data-kind`). */
  kind?: string;
  title: string;
  label?: string;
  disabled?: boolean;
  onClick: () => void;
}): JSX.Element {
  const Icon = props.icon.react;
  return (
    <button
      type="button"
      className="jp-ChatExt-iconButton jp-ChatExt-action"
      title={props.title}
      data-kind={props.kind}
      aria-label={props.label ? undefined : props.title}
      disabled={props.disabled}
      onClick={props.onClick}
    >
      <Icon tag="span" />
      {props.label && (
        <span className="jp-ChatExt-action-label">{props.label}</span>
      )}
    </button>
  );
}
