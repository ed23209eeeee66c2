/** The chat list's dialogs and file hand-offs: ask for a name, confirm, open and save files. */

import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { IDownload } from '../api/client';

/** Asks for a line of text; resolves to it trimmed, or '' when cancelled. */
export async function askText(
  title: string,
  current: string,
  trans: TranslationBundle
): Promise<string> {
  const result = await showDialog({
    title,
    body: new NameInput(current, trans.__('Name')),
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.okButton({ label: trans.__('Save') })
    ],
    focusNodeSelector: 'input'
  });
  return result.button.accept ? (result.value ?? '').trim() : '';
}

/**
 * A name's input whose Save stays disabled while the name is blank, as in JupyterLab's
 * own rename: the dialog disables its accept button while an input is `:invalid`.
 */
class NameInput extends Widget {
  constructor(current: string, placeholder: string) {
    const input = document.createElement('input');
    input.type = 'text';
    input.className = 'jp-mod-styled';
    input.value = current;
    input.placeholder = placeholder;
    input.required = true;
    input.pattern = '.*\\S.*';
    super({ node: input });
    this._input = input;
  }

  getValue(): string {
    return this._input.value;
  }

  protected override onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    // Not select(): it would take the focus before the dialog notes where the focus was,
    // and closing the dialog would then give it back to this input, not to the list.
    this._input.setSelectionRange(0, this._input.value.length);
    // The dialog checks its inputs on 'input' events only, and listens once attached
    // itself (after its body): an empty name is refused from the start.
    requestAnimationFrame(() =>
      this._input.dispatchEvent(new Event('input', { bubbles: true }))
    );
  }

  private _input: HTMLInputElement;
}

/** Asks to confirm a destructive action. */
export async function confirm(
  title: string,
  body: string,
  action: string,
  trans: TranslationBundle
): Promise<boolean> {
  const result = await showDialog({
    title,
    body,
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.warnButton({ label: action })
    ],
    defaultButton: 0
  });
  return result.button.accept;
}

/** Asks the browser for a file to open; null when none is chosen. */
export function pickFile(accept: string): Promise<File | null> {
  return new Promise(resolve => {
    const input = document.createElement('input');
    input.type = 'file';
    input.accept = accept;
    input.className = 'jp-ChatExt-filePicker';
    input.style.display = 'none';
    const done = (file: File | null) => {
      input.remove();
      resolve(file);
    };
    input.addEventListener('change', () => done(input.files?.[0] ?? null));
    input.addEventListener('cancel', () => done(null));
    document.body.appendChild(input);
    input.click();
  });
}

/** Hands a file to the browser's download. */
export function download({ filename, blob }: IDownload): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.style.display = 'none';
  document.body.appendChild(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
