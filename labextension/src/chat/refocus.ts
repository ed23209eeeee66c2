/** How long an action's new control is waited for (a branch is fetched meanwhile). */
const WAIT_MS = 5000;

/**
 * Hands the keyboard focus on after an action removed the control that had it (a message
 * replaced by another version, an edit box closed): `find` names where it goes, and gets
 * it as soon as it is there and enabled. Only a focus lost on the way is handed on: once
 * the user has put it somewhere, it stays there. A newer hand-off replaces an older one.
 */
export class FocusHandOff {
  constructor(private readonly _root: () => HTMLElement) {}

  request(find: (root: HTMLElement) => HTMLElement | null): void {
    const from = document.activeElement;
    const token = ++this._token;
    const deadline = performance.now() + WAIT_MS;
    const attempt = () => {
      if (token !== this._token || performance.now() > deadline) {
        return;
      }
      const active = document.activeElement;
      const lost =
        active === null ||
        active === document.body ||
        (active === from && !this._usable(active));
      if (!lost && active !== from) {
        return; // The user has moved it meanwhile.
      }
      const target = lost ? find(this._root()) : null;
      if (target && this._usable(target)) {
        target.focus();
        return;
      }
      requestAnimationFrame(attempt);
    };
    requestAnimationFrame(attempt);
  }

  private _usable(element: Element): boolean {
    return element.isConnected && !(element as HTMLButtonElement).disabled;
  }

  private _token = 0;
}
