import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  Clipboard,
  ICommandPalette,
  MainAreaWidget,
  WidgetTracker
} from '@jupyterlab/apputils';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import {
  Button,
  copyIcon,
  LabIcon,
  ReactWidget
} from '@jupyterlab/ui-components';
import React, { useCallback, useEffect, useId, useRef, useState } from 'react';

import { ChatApiClient } from '../api/client';
import { confirm } from '../chats/dialogs';
import { errorMessage } from '../errors';
import { IChatOpener } from '../tokens';

/**
 * A plugin whose command opens a main-area screen, one at a time: running it again
 * brings the open one forward. The screen comes back after a page reload, as files do.
 */
export function screenPlugin(options: {
  id: string;
  description: string;
  command: string;
  widgetId: string;
  icon: LabIcon;
  label: (trans: TranslationBundle) => string;
  caption: (trans: TranslationBundle) => string;
  /** `opener`: the open chats, when the Chats panel is there. */
  render: (
    client: ChatApiClient,
    trans: TranslationBundle,
    opener: IChatOpener | null
  ) => JSX.Element;
}): JupyterFrontEndPlugin<void> {
  const { command, widgetId, icon } = options;
  return {
    id: options.id,
    description: options.description,
    autoStart: true,
    optional: [ITranslator, ICommandPalette, ILayoutRestorer, IChatOpener],
    activate: (
      app: JupyterFrontEnd,
      translator: ITranslator | null,
      palette: ICommandPalette | null,
      restorer: ILayoutRestorer | null,
      opener: IChatOpener | null
    ) => {
      const trans = (translator ?? nullTranslator).load('jupyter_chat_ext');
      const client = new ChatApiClient(app.serviceManager.serverSettings);
      const label = options.label(trans);
      const tracker = new WidgetTracker<MainAreaWidget>({
        namespace: widgetId
      });

      app.commands.addCommand(command, {
        label,
        caption: options.caption(trans),
        icon: args => (args.isPalette ? undefined : icon),
        execute: () => {
          let widget = tracker.currentWidget;
          if (!widget || widget.isDisposed) {
            const content = ReactWidget.create(
              options.render(client, trans, opener)
            );
            content.addClass('jp-ChatExt-screen');
            widget = new MainAreaWidget({ content });
            widget.id = widgetId;
            widget.title.label = label;
            // In full on hover: a tab cuts a long label short.
            widget.title.caption = label;
            widget.title.icon = icon;
            widget.title.closable = true;
            void tracker.add(widget);
          }
          if (!widget.isAttached) {
            app.shell.add(widget, 'main');
          }
          app.shell.activateById(widget.id);
          return widget;
        }
      });
      palette?.addItem({ command, category: trans.__('Chat') });
      void restorer?.restore(tracker, { command, name: () => widgetId });
    }
  };
}

/** A button that copies `text` and says so for a moment. */
export function CopyButton({
  text,
  label,
  trans
}: {
  text: string;
  label: string;
  trans: TranslationBundle;
}): JSX.Element {
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) {
      return;
    }
    const timer = window.setTimeout(() => setCopied(false), 2000);
    return () => window.clearTimeout(timer);
  }, [copied]);
  return (
    <button
      type="button"
      className="jp-ChatExt-button jp-ChatExt-copy"
      aria-label={label}
      title={label}
      onClick={() => {
        Clipboard.copyToSystem(text);
        setCopied(true);
      }}
    >
      <copyIcon.react tag="span" />
      <span aria-live="polite">
        {copied ? trans.__('Copied') : trans.__('Copy')}
      </span>
    </button>
  );
}

/**
 * A labelled form control (`children`, a single element), with a hint and what is wrong
 * with its value if anything is. The label names the control alone; the error and the
 * hint describe it, so that a screen reader says them after its name, not as part of it.
 */
export function Field({
  label,
  hint,
  error,
  children
}: {
  label: string;
  hint?: string;
  error?: string;
  children: React.ReactElement;
}): JSX.Element {
  const id = useId();
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const describedBy =
    [error && errorId, hint && hintId].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`jp-ChatExt-field${error ? ' jp-mod-invalid' : ''}`}>
      <label className="jp-ChatExt-field-label" htmlFor={id}>
        {label}
      </label>
      {React.cloneElement(children, { id, 'aria-describedby': describedBy })}
      {error && (
        <span className="jp-ChatExt-field-error" id={errorId}>
          {error}
        </span>
      )}
      {hint && (
        <span className="jp-ChatExt-field-hint" id={hintId}>
          {hint}
        </span>
      )}
    </div>
  );
}

/** A labelled one-line input; `onChange` gets the new text. */
export function TextField({
  label,
  hint,
  error,
  className,
  onChange,
  ...input
}: {
  label: string;
  hint?: string;
  error?: string;
  onChange: (value: string) => void;
} & Omit<
  React.InputHTMLAttributes<HTMLInputElement>,
  'onChange'
>): JSX.Element {
  return (
    <Field label={label} hint={hint} error={error}>
      <input
        {...input}
        aria-invalid={error ? true : undefined}
        className={`jp-mod-styled ${className ?? ''}`}
        onChange={event => onChange(event.currentTarget.value)}
      />
    </Field>
  );
}

/**
 * What a screen's add or edit form is open on, if anything. When the form closes, the
 * control that opened it gets the focus back, as a keyboard user expects of a dialog.
 * Opening another form over one whose changes are not saved asks first, and keeps the
 * open one if the answer is no: what was typed is not lost.
 */
export function useFormTarget<T extends { id: string }>(
  trans: TranslationBundle
): {
  target: T | 'new' | null;
  open: (target: T | 'new') => Promise<void>;
  close: () => void;
  /** For the form: whether it shows changes not saved (see `useUnsaved`). */
  setUnsaved: (unsaved: boolean) => void;
} {
  const [target, setTarget] = useState<T | 'new' | null>(null);
  const opener = useRef<HTMLElement | null>(null);
  const closing = useRef(false);
  const unsaved = useRef(false);
  const setUnsaved = useCallback((value: boolean) => {
    unsaved.current = value;
  }, []);
  useEffect(() => {
    if (target === null && closing.current) {
      closing.current = false;
      // The opener may have been disabled while the form was open; it is enabled now.
      if (opener.current?.isConnected) {
        opener.current.focus();
      }
    }
  }, [target]);
  return {
    target,
    open: async next => {
      // Taken before the question, whose dialog takes the focus while it is open.
      const active = document.activeElement;
      const replaced = target !== null && formKey(target) !== formKey(next);
      if (
        replaced &&
        unsaved.current &&
        !(await confirm(
          trans.__('Discard Changes'),
          trans.__('The changes in the open form are not saved. Discard them?'),
          trans.__('Discard'),
          trans
        ))
      ) {
        return;
      }
      opener.current = active instanceof HTMLElement ? active : null;
      unsaved.current = false;
      setTarget(next);
    },
    close: () => {
      closing.current = true;
      unsaved.current = false;
      setTarget(null);
    },
    setUnsaved
  };
}

/** A form's React key: a form of its own for each thing edited, its fields from that one. */
export function formKey(target: { id: string } | 'new'): string {
  return target === 'new' ? '' : target.id;
}

/**
 * Tells `setUnsaved` whether a form's `values` (what its fields hold, as JSON) differ from
 * those it opened with.
 */
export function useUnsaved(
  values: unknown,
  setUnsaved: (unsaved: boolean) => void
): void {
  const [initial] = useState(() => JSON.stringify(values));
  const unsaved = JSON.stringify(values) !== initial;
  useEffect(() => setUnsaved(unsaved), [unsaved, setUnsaved]);
}

/**
 * An add or edit form's keyboard habits: the first field takes the focus when it opens,
 * the first field in error when the errors change, and Escape cancels.
 */
export function useFormKeyboard(
  form: React.RefObject<HTMLFormElement>,
  errors: unknown,
  onCancel: () => void
): (event: React.KeyboardEvent) => void {
  useEffect(() => {
    form.current
      ?.querySelector<HTMLElement>(
        'input:not([disabled]), select:not([disabled]), textarea:not([disabled])'
      )
      ?.focus();
  }, [form]);
  useEffect(() => {
    form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [form, errors]);
  return event => {
    if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      onCancel();
    }
  };
}

/** A form's Cancel and submit buttons. */
export function FormButtons({
  submitLabel,
  busy,
  onCancel,
  trans
}: {
  submitLabel: string;
  busy: boolean;
  onCancel: () => void;
  trans: TranslationBundle;
}): JSX.Element {
  return (
    <div className="jp-ChatExt-form-buttons">
      <button
        type="button"
        className="jp-mod-styled jp-mod-reject"
        onClick={onCancel}
      >
        {trans.__('Cancel')}
      </button>
      <button
        type="submit"
        className="jp-mod-styled jp-mod-accept jp-ChatExt-save"
        disabled={busy}
      >
        {submitLabel}
      </button>
    </div>
  );
}

/**
 * A table row's destructive button: asks first (`question` in a dialog titled `title`),
 * then runs `action`; what it throws goes to `onError`.
 */
// About two seconds of frames: how long a removed row may take to leave the list.
const FRAMES_TO_SETTLE = 120;

export function ConfirmButton({
  label,
  className,
  title,
  question,
  action,
  onError,
  trans
}: {
  label: string;
  className: string;
  title: string;
  /** Asked before acting; a function when the question needs a look at the server first. */
  question: string | (() => Promise<string>);
  action: () => Promise<unknown>;
  onError: (message: string | null) => void;
  trans: TranslationBundle;
}): JSX.Element {
  return (
    <Button
      small
      minimal
      className={className}
      onClick={async event => {
        const button = event.currentTarget;
        const asked =
          typeof question === 'string' ? question : await question();
        if (!(await confirm(title, asked, label, trans))) {
          return;
        }
        // Where the focus goes once the row is gone: the same button on the next row (or
        // the one before), else the section's first button (its "add").
        const row = button.closest('tr');
        const neighbour =
          row?.nextElementSibling ?? row?.previousElementSibling;
        const section = button.closest('section');
        onError(null);
        try {
          await action();
        } catch (reason) {
          onError(errorMessage(reason, trans));
          return;
        }
        // The list is read again after the action, so the row goes a few frames later.
        const settle = (frames: number) =>
          requestAnimationFrame(() => {
            if (button.isConnected) {
              if (frames > 0) {
                settle(frames - 1);
              }
              return;
            }
            const next = neighbour?.isConnected
              ? neighbour.querySelector<HTMLElement>(`.${className}`)
              : null;
            (next ?? section?.querySelector<HTMLElement>('button'))?.focus();
          });
        settle(FRAMES_TO_SETTLE);
      }}
    >
      {label}
    </Button>
  );
}

/** A titled section of a screen with an "add" button, as the lists of things have. */
export function ListSection({
  id,
  title,
  intro,
  addLabel,
  addClass,
  onAdd,
  adding,
  children
}: {
  id: string;
  title: string;
  intro: string;
  addLabel: string;
  addClass: string;
  onAdd: () => void;
  adding: boolean;
  children: React.ReactNode;
}): JSX.Element {
  return (
    <section className="jp-ChatExt-section" aria-labelledby={id}>
      <div className="jp-ChatExt-section-header">
        <h2 id={id}>{title}</h2>
        <button
          className={`jp-mod-styled jp-mod-accept ${addClass}`}
          onClick={onAdd}
          disabled={adding}
        >
          {addLabel}
        </button>
      </div>
      <p className="jp-ChatExt-section-intro">{intro}</p>
      {children}
    </section>
  );
}

/**
 * A list's table: its column headings, a last column for each row's buttons, and the rows.
 * Narrower than the screen, it scrolls sideways on its own, so the rest of the screen stays put.
 */
export function Table({
  className,
  columns,
  trans,
  children
}: {
  className: string;
  columns: string[];
  trans: TranslationBundle;
  children: React.ReactNode;
}): JSX.Element {
  return (
    <div className="jp-ChatExt-tableScroll">
      <table className={`jp-ChatExt-table ${className}`}>
        <TableHead columns={columns} trans={trans} />
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

function TableHead({
  columns,
  trans
}: {
  columns: string[];
  trans: TranslationBundle;
}): JSX.Element {
  return (
    <thead>
      <tr>
        {columns.map(column => (
          <th key={column} scope="col">
            {column}
          </th>
        ))}
        <th scope="col">
          <span className="jp-ChatExt-visuallyHidden">
            {trans.__('Actions')}
          </span>
        </th>
      </tr>
    </thead>
  );
}

/** An error said in place, for screen readers too. */
export function ErrorNote({
  error
}: {
  error: string | null;
}): JSX.Element | null {
  return error ? (
    <p className="jp-ChatExt-error" role="alert">
      {error}
    </p>
  ) : null;
}

/** A date as the user's locale writes it, or '—' for none. */
export function formatDate(value: string | null | undefined): string {
  return value ? new Date(value).toLocaleString() : '—';
}

/**
 * Runs `load` now, whenever `reload` is called and whenever the browser tab comes back to
 * the front (what was changed in another shows then); returns what it gave, the error it
 * threw, and `reload`.
 */
export function useLoad<T>(
  load: () => Promise<T>,
  trans: TranslationBundle
): {
  value: T | undefined;
  error: string | null;
  reload: () => void;
} {
  const [value, setValue] = useState<T>();
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    const again = () => setVersion(v => v + 1);
    window.addEventListener('focus', again);
    return () => window.removeEventListener('focus', again);
  }, []);
  useEffect(() => {
    let live = true;
    load().then(
      result => {
        if (live) {
          setValue(result);
          setError(null);
        }
      },
      reason => {
        if (live) {
          setError(errorMessage(reason, trans));
        }
      }
    );
    return () => {
      live = false;
    };
    // `load` is expected to be stable for the life of the screen.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [version]);
  return { value, error, reload: () => setVersion(v => v + 1) };
}
