import { Dialog, ReactWidget, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import React, { useId, useState } from 'react';

import { errorMessage } from '../errors';
import {
  IParamsText,
  NUMBER_PARAMS,
  paramLabel,
  paramsFrom,
  paramsText
} from '../params';
import { ChatSettings } from './settings';

interface IDraft extends IParamsText {
  system: string;
  /** No system prompt at all: the model's or preset's own is not sent either. */
  noSystem: boolean;
}

/**
 * Asks for a chat's system prompt and parameters and hands them to `save` (null when
 * they are reset, so the model's or preset's own apply again). What cannot be saved (not
 * a number, a value the server refuses) brings the dialog back as it was typed, with the
 * reason; cancelling changes nothing.
 */
export async function editChatSettings(
  current: ChatSettings | null,
  trans: TranslationBundle,
  save: (settings: ChatSettings | null) => Promise<void>
): Promise<void> {
  let draft = draftOf(current);
  let error = '';
  for (;;) {
    const body = new SettingsBody(draft, error, trans);
    const result = await showDialog({
      title: trans.__('Chat Settings'),
      body,
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.warnButton({ label: trans.__('Reset'), ariaLabel: RESET }),
        Dialog.okButton({ label: trans.__('Save') })
      ],
      // The system prompt, or the box that turns it off when it is off.
      focusNodeSelector:
        'textarea:not([disabled]), .jp-ChatExt-settings-noSystem'
    });
    const reset = result.button.ariaLabel === RESET;
    if (!result.button.accept && !reset) {
      return;
    }
    draft = body.draft;
    try {
      await save(reset ? null : settingsFrom(draft, trans));
      return;
    } catch (reason) {
      error = errorMessage(reason, trans);
    }
  }
}

// Tells the reset button from the others in the dialog's result.
const RESET = 'reset-chat-settings';

class SettingsBody extends ReactWidget {
  constructor(
    public draft: IDraft,
    private readonly _error: string,
    private readonly _trans: TranslationBundle
  ) {
    super();
    this.addClass('jp-ChatExt-settingsDialog');
  }

  render(): JSX.Element {
    return (
      <SettingsForm
        initial={this.draft}
        error={this._error}
        trans={this._trans}
        onChange={draft => (this.draft = draft)}
      />
    );
  }
}

function SettingsForm(props: {
  initial: IDraft;
  error: string;
  trans: TranslationBundle;
  onChange: (draft: IDraft) => void;
}): JSX.Element {
  const { trans } = props;
  const [draft, setDraft] = useState(props.initial);
  // The browser's own word on a number out of range (the dialog holds Save back meanwhile).
  const [invalid, setInvalid] = useState<Record<string, string>>({});
  const id = useId();
  const change = (changes: Partial<IDraft>) => {
    const next = { ...draft, ...changes };
    setDraft(next);
    props.onChange(next);
  };
  /** A text field across the form: a text area when given `rows`. */
  const wide = (
    name: 'system' | 'stop' | 'other',
    label: string,
    rows?: number,
    disabled?: boolean
  ) => {
    const field = {
      className: `jp-mod-styled jp-ChatExt-settings-${name}`,
      value: draft[name],
      disabled,
      onChange: (
        event: React.ChangeEvent<HTMLInputElement | HTMLTextAreaElement>
      ) => change({ [name]: event.currentTarget.value })
    };
    return (
      <label className="jp-ChatExt-settingsWide">
        <span>{label}</span>
        {rows ? <textarea rows={rows} {...field} /> : <input {...field} />}
      </label>
    );
  };
  return (
    <div className="jp-ChatExt-settingsForm">
      <p className="jp-ChatExt-settingsIntro">
        {trans.__(
          "Used by every answer in this chat, in place of the model's or preset's own. Empty fields keep the default."
        )}
      </p>
      {wide('system', trans.__('System prompt'), 4, draft.noSystem)}
      <label className="jp-ChatExt-settingsWide jp-ChatExt-settingsCheck">
        <input
          type="checkbox"
          className="jp-ChatExt-settings-noSystem"
          checked={draft.noSystem}
          onChange={event => change({ noSystem: event.currentTarget.checked })}
        />
        <span>
          {trans.__("No system prompt, not even the model's or preset's")}
        </span>
      </label>
      {NUMBER_PARAMS.map(([key, min, max, whole]) => (
        // The reason a value is refused describes the field: outside its label, it would
        // become part of the field's name.
        <div key={key} className="jp-ChatExt-settingsField">
          <label htmlFor={`${id}-${key}`}>{paramLabel(key, trans)}</label>
          <input
            id={`${id}-${key}`}
            className={`jp-mod-styled jp-ChatExt-settings-${key}`}
            type="number"
            min={min}
            max={max}
            // Whole numbers in steps of one; any other value in range (a step would refuse
            // 0.33 as between two steps).
            step={whole ? 1 : 'any'}
            placeholder={trans.__('Default')}
            value={draft.numbers[key]}
            aria-invalid={!!invalid[key]}
            aria-describedby={invalid[key] ? `${id}-${key}-error` : undefined}
            onChange={event => {
              const input = event.currentTarget;
              setInvalid({ ...invalid, [key]: input.validationMessage });
              change({ numbers: { ...draft.numbers, [key]: input.value } });
            }}
          />
          {invalid[key] && (
            <span
              id={`${id}-${key}-error`}
              className="jp-ChatExt-settingsFieldError"
            >
              {invalid[key]}
            </span>
          )}
        </div>
      ))}
      {wide(
        'stop',
        trans.__('Stop sequences (separated by commas; \\n for a line break)')
      )}
      {wide(
        'other',
        trans.__('Other options (JSON), e.g. {"num_ctx": 8192}'),
        2
      )}
      {props.error && (
        <p className="jp-ChatExt-settingsError" role="alert">
          {props.error}
        </p>
      )}
    </div>
  );
}

function draftOf(settings: ChatSettings | null): IDraft {
  return {
    system: settings?.system ?? '',
    noSystem: settings?.system === '',
    ...paramsText(settings?.params)
  };
}

function settingsFrom(draft: IDraft, trans: TranslationBundle): ChatSettings {
  return {
    system: draft.noSystem ? '' : draft.system.trim() ? draft.system : null,
    params: paramsFrom(draft, trans)
  };
}
