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
import React, { useEffect, useState } from 'react';

import { ChatApiClient } from '../api/client';
import { confirm } from '../chats/actions';

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
  render: (client: ChatApiClient, trans: TranslationBundle) => JSX.Element;
}): JupyterFrontEndPlugin<void> {
  const { command, widgetId, icon } = options;
  return {
    id: options.id,
    description: options.description,
    autoStart: true,
    optional: [ITranslator, ICommandPalette, ILayoutRestorer],
    activate: (
      app: JupyterFrontEnd,
      translator: ITranslator | null,
      palette: ICommandPalette | null,
      restorer: ILayoutRestorer | null
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
            const content = ReactWidget.create(options.render(client, trans));
            content.addClass('jp-ChatExt-screen');
            widget = new MainAreaWidget({ content });
            widget.id = widgetId;
            widget.title.label = label;
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

/** A labelled form control. */
export function Field({
  label,
  hint,
  children
}: {
  label: string;
  hint?: string;
  children: React.ReactNode;
}): JSX.Element {
  return (
    <label className="jp-ChatExt-field">
      <span className="jp-ChatExt-field-label">{label}</span>
      {children}
      {hint && <span className="jp-ChatExt-field-hint">{hint}</span>}
    </label>
  );
}

/** A labelled one-line input; `onChange` gets the new text. */
export function TextField({
  label,
  hint,
  className,
  onChange,
  ...input
}: {
  label: string;
  hint?: string;
  onChange: (value: string) => void;
} & Omit<
  React.InputHTMLAttributes<HTMLInputElement>,
  'onChange'
>): JSX.Element {
  return (
    <Field label={label} hint={hint}>
      <input
        {...input}
        className={`jp-mod-styled ${className ?? ''}`}
        onChange={event => onChange(event.currentTarget.value)}
      />
    </Field>
  );
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
  question: string;
  action: () => Promise<unknown>;
  onError: (message: string | null) => void;
  trans: TranslationBundle;
}): JSX.Element {
  return (
    <Button
      small
      minimal
      className={className}
      onClick={async () => {
        if (!(await confirm(title, question, label, trans))) {
          return;
        }
        onError(null);
        try {
          await action();
        } catch (reason) {
          onError(errorMessage(reason));
        }
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

/** A table's column headings, and a last one for each row's buttons. */
export function TableHead({
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

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A date as the user's locale writes it, or '—' for none. */
export function formatDate(value: string | null | undefined): string {
  return value ? new Date(value).toLocaleString() : '—';
}

/**
 * Runs `load` now and whenever `reload` is called; returns what it gave, the error it
 * threw, and `reload`.
 */
export function useLoad<T>(load: () => Promise<T>): {
  value: T | undefined;
  error: string | null;
  reload: () => void;
} {
  const [value, setValue] = useState<T>();
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
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
          setError(errorMessage(reason));
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
