import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { TranslationBundle } from '@jupyterlab/translation';
import {
  addBelowIcon,
  copyIcon,
  imageIcon,
  LabIcon,
  runIcon
} from '@jupyterlab/ui-components';

/** What a code block's toolbar can do with its code. */
export type CodeAction = 'copy' | 'insert' | 'run';

const HELD_ATTRIBUTE = 'data-chat-ext-src';

function codeActions(
  trans: TranslationBundle
): { action: CodeAction; icon: LabIcon; label: string; title: string }[] {
  return [
    {
      action: 'copy',
      icon: copyIcon,
      label: trans.__('Copy'),
      title: trans.__('Copy the code')
    },
    {
      action: 'insert',
      icon: addBelowIcon,
      label: trans.__('Insert'),
      title: trans.__('Insert as a new cell below the active cell')
    },
    {
      action: 'run',
      icon: runIcon,
      label: trans.__('Run'),
      title: trans.__('Run in a console attached to the active kernel')
    }
  ];
}

/**
 * JupyterLab's sanitizer, followed by holding back anything that would load from
 * another site (images, media, CSS `url()`s) unless remote content is allowed, so
 * that reading an answer tells no third party that it was read.
 */
export class RemoteContentGuard implements IRenderMime.ISanitizer {
  constructor(
    private _inner: IRenderMime.ISanitizer,
    private _allowRemote: () => boolean
  ) {}

  get allowNamedProperties(): boolean {
    return this._inner.allowNamedProperties ?? false;
  }

  getAutolink(): boolean {
    return this._inner.getAutolink?.() ?? true;
  }

  sanitize(dirty: string, options?: IRenderMime.ISanitizerOptions): string {
    const clean = this._inner.sanitize(dirty, options);
    if (this._allowRemote() || !/(src|poster|url)/i.test(clean)) {
      return clean;
    }
    // A parsed document that is not displayed fetches nothing.
    const doc = new DOMParser().parseFromString(clean, 'text/html');
    for (const element of Array.from(
      doc.body.querySelectorAll('[src], [srcset], [poster], [style]')
    )) {
      holdBack(element);
    }
    return doc.body.innerHTML;
  }
}

function holdBack(element: Element): void {
  const style = element.getAttribute('style');
  if (style && /url\s*\(/i.test(style)) {
    element.removeAttribute('style');
  }
  element.removeAttribute('srcset');
  for (const name of ['src', 'poster']) {
    const value = element.getAttribute(name);
    if (value !== null && isRemote(value)) {
      element.removeAttribute(name);
      element.setAttribute(HELD_ATTRIBUTE, value);
    }
  }
}

function isRemote(url: string): boolean {
  if (/^(data|blob):/i.test(url.trim())) {
    return false;
  }
  try {
    return new URL(url, window.location.href).origin !== window.location.origin;
  } catch {
    return true;
  }
}

/**
 * Adds a toolbar to each code block and a "load" button to each held-back image of
 * freshly rendered HTML. The buttons only carry `data-action`; the message view
 * handles their clicks in one place.
 */
export function decorateRendered(
  host: HTMLElement,
  trans: TranslationBundle,
  writing = false
): void {
  for (const pre of Array.from(host.querySelectorAll('pre'))) {
    if (pre.parentElement?.classList.contains('jp-ChatExt-code')) {
      continue;
    }
    const wrapper = document.createElement('div');
    wrapper.className = 'jp-ChatExt-code';
    const toolbar = document.createElement('div');
    toolbar.className = 'jp-ChatExt-codeToolbar';
    const language = /language-([\w+#.-]+)/.exec(
      pre.querySelector('code')?.className ?? ''
    );
    const label = document.createElement('span');
    label.className = 'jp-ChatExt-codeLanguage';
    label.textContent = language ? language[1] : '';
    toolbar.appendChild(label);
    for (const { action, icon, label: text, title } of codeActions(trans)) {
      toolbar.appendChild(actionButton(action, icon, text, title));
    }
    pre.replaceWith(wrapper);
    wrapper.append(toolbar, pre);
  }
  setWriting(host, writing);
  for (const element of Array.from(
    host.querySelectorAll<HTMLElement>(`[${HELD_ATTRIBUTE}]`)
  )) {
    const source = element.getAttribute(HELD_ATTRIBUTE) ?? '';
    let site = source;
    try {
      site = new URL(source).host;
    } catch {
      // Shown as it is.
    }
    const button = actionButton(
      'load-image',
      imageIcon,
      trans.__('Load image from %1', site),
      source
    );
    button.classList.add('jp-ChatExt-heldImage');
    element.insertAdjacentElement('beforebegin', button);
    element.hidden = true;
  }
}

/**
 * Code being written cannot be copied, inserted or run yet: its block's buttons wait for
 * its end, so a click never takes half a block (`print(6` of `print(6 * 7)`).
 */
export function setWriting(host: HTMLElement, writing: boolean): void {
  for (const button of Array.from(
    host.querySelectorAll<HTMLButtonElement>('.jp-ChatExt-codeToolbar button')
  )) {
    button.disabled = writing;
  }
}

function actionButton(
  action: string,
  icon: LabIcon,
  label: string,
  title: string
): HTMLButtonElement {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'jp-ChatExt-iconButton jp-ChatExt-action';
  button.dataset.action = action;
  button.title = title;
  button.appendChild(icon.element({ tag: 'span' }));
  const text = document.createElement('span');
  text.className = 'jp-ChatExt-action-label';
  text.textContent = label;
  button.appendChild(text);
  return button;
}

/** The code of the code block a toolbar button belongs to. */
export function codeOf(button: HTMLElement): {
  code: string;
  language: string;
} {
  const wrapper = button.closest('.jp-ChatExt-code');
  const code = wrapper?.querySelector('pre')?.textContent ?? '';
  const language =
    wrapper?.querySelector('.jp-ChatExt-codeLanguage')?.textContent ?? '';
  return { code: code.replace(/\n$/, ''), language };
}

/** Loads the held-back image a "load image" button stands for. */
export function releaseImage(button: HTMLElement): void {
  const element = button.nextElementSibling as HTMLElement | null;
  const source = element?.getAttribute(HELD_ATTRIBUTE);
  if (!element || !source) {
    return;
  }
  element.setAttribute('src', source);
  element.removeAttribute(HELD_ATTRIBUTE);
  element.hidden = false;
  button.remove();
}
