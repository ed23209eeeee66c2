import { JupyterFrontEnd } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import { ConsolePanel, IConsoleTracker } from '@jupyterlab/console';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { TranslationBundle } from '@jupyterlab/translation';

import { notebookLanguage, planCode } from './codecell';
import { KernelProblem, usableKernel, within } from './kernelstate';
import { ChatPreferences } from './settings';

export interface IRunCodeOptions {
  app: JupyterFrontEnd;
  notebooks: INotebookTracker;
  consoles: IConsoleTracker | null;
  /** Gives the longest wait for a kernel (the kernelWaitSeconds setting). */
  preferences: ChatPreferences;
  trans: TranslationBundle;
}

/**
 * Runs a code block in a console on the active notebook's kernel (opened below the
 * notebook if need be). Whatever stops it (no notebook, no kernel, a dead one, a console
 * that does not open) is said in a notification; it never throws.
 */
export async function runCodeInConsole(
  options: IRunCodeOptions,
  code: string,
  language: string
): Promise<void> {
  const { notebooks, trans } = options;
  const notRun = (message: string) =>
    Notification.warning(message, { autoClose: 8000 });
  const panel = notebooks.currentWidget;
  if (!panel) {
    notRun(
      trans.__(
        "The code was not run: no notebook is open. Open one, and Run uses a console on the notebook's kernel."
      )
    );
    return;
  }
  const name = PathExt.basename(panel.context.path);
  // The longest wait for a kernel on its way (starting, restarting, reconnecting) or a
  // console's session: past it the user is told, rather than code waiting unseen.
  const waitMs = options.preferences.values.kernelWaitSeconds * 1000;
  const refuse = () =>
    notRun(
      trans.__('The %1 code was not run: the kernel does not run %1.', language)
    );
  try {
    // A kernel replaced from elsewhere (another tab, the REST API) reaches the lab's
    // sessions only at their next poll, up to seconds later: asked for now, so that the
    // notebook's current kernel is the one looked at and run on. Should the server not
    // answer, the sessions as last seen stand, and the kernel's own state says the rest.
    await options.app.serviceManager.sessions
      .refreshRunning()
      .catch(() => undefined);
    // The notebook's kernel first: a console on a kernel that is gone would only show
    // the code pending, forever.
    const problem = await usableKernel(panel.sessionContext, waitMs, false);
    if (problem) {
      notRun(describe(trans, problem, name));
      return;
    }
    // Decided before a console opens for nothing, when the notebook says its language.
    if (planCode(code, language, notebookLanguage(panel)).kind !== 'code') {
      refuse();
      return;
    }
    let target: ConsolePanel;
    try {
      target = await consoleFor(
        options,
        panel,
        panel.sessionContext.session!.kernel!.id
      );
    } catch (reason) {
      notRun(
        trans.__(
          'The code was not run: a console on the kernel of %1 could not be opened: %2',
          name,
          reasonOf(reason)
        )
      );
      return;
    }
    const held = await usableKernel(target.sessionContext, waitMs, true);
    if (held) {
      notRun(describe(trans, held, trans.__('the console of %1', name)));
      return;
    }
    const kernel = target.sessionContext.session!.kernel!;
    // The info comes with the connection; should it not, the block goes in as it is.
    const info = (await within(kernel.info, waitMs))
      ? await kernel.info
      : undefined;
    const plan = planCode(code, language, info?.language_info.name ?? '');
    if (plan.kind !== 'code') {
      refuse();
      return;
    }
    await target.console.inject(plan.source);
  } catch (reason) {
    Notification.error(
      trans.__('The code could not be run in %1: %2', name, reasonOf(reason)),
      { autoClose: 8000 }
    );
  }
}

function describe(
  trans: TranslationBundle,
  problem: KernelProblem,
  name: string
): string {
  switch (problem.kind) {
    case 'none':
      return trans.__(
        'The code was not run: %1 has no kernel. Choose one (Kernel › Change Kernel…) and Run again.',
        name
      );
    case 'dead':
      return problem.reason
        ? trans.__(
            'The code was not run: the kernel of %1 is dead (%2). Restart it or choose another, and Run again.',
            name,
            problem.reason
          )
        : trans.__(
            'The code was not run: the kernel of %1 is dead. Restart it or choose another, and Run again.',
            name
          );
    case 'lost':
      return trans.__(
        'The code was not run: the kernel of %1 is gone (shut down, or its connection lost). Choose a kernel (Kernel › Change Kernel…) and Run again.',
        name
      );
    case 'waiting':
      // A kernel restarted from the notebook's toolbar or menu reads 'unknown' until it
      // is back: not a word to show.
      if (problem.status === 'unknown') {
        return trans.__(
          'The code was not run: the kernel of %1 was not ready after %2 seconds (starting or restarting). Run again once it is ready.',
          name,
          problem.seconds
        );
      }
      return trans.__(
        'The code was not run: the kernel of %1 was still %2 after %3 seconds. Run again once it is ready.',
        name,
        problem.status,
        problem.seconds
      );
  }
}

function reasonOf(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}

/**
 * A console on the notebook's current kernel: one open on it, else a new one below the
 * notebook. Found by the kernel, not by the notebook's path: a console linked to the
 * notebook keeps the session it joined, which is gone once the notebook's kernel was
 * shut down and another chosen. Such a console, left on No Kernel, is closed once the
 * new one is open: it could only show code pending. It is not moved to the kernel
 * (changeKernel): that would give it a second session of its own on the notebook's path,
 * where a linked console shares the notebook's, and follows its kernel when it changes.
 */
async function consoleFor(
  options: IRunCodeOptions,
  panel: NotebookPanel,
  kernelId: string
): Promise<ConsolePanel> {
  const { app, consoles } = options;
  const path = panel.context.path;
  const existing = consoles?.find(
    console => console.sessionContext.session?.kernel?.id === kernelId
  );
  if (existing) {
    app.shell.activateById(existing.id);
    return existing;
  }
  const leftBehind =
    consoles?.filter(console =>
      isLeftBehind(console, panel.sessionContext.path)
    ) ?? [];
  const created = await app.commands.execute('console:create', {
    path,
    preferredLanguage: panel.context.model.defaultKernelLanguage,
    ref: panel.id,
    insertMode: 'split-bottom',
    activate: false,
    type: 'Linked Console',
    // It joins the notebook's session, found by its path; should that not be there, it
    // still takes the notebook's kernel rather than a kernel of its own.
    kernelPreference: { id: kernelId }
  });
  if (!(created instanceof ConsolePanel)) {
    throw new Error(String(created));
  }
  leftBehind.forEach(console => console.dispose());
  return created;
}

/**
 * Whether a console is one linked to the notebook at `path` whose session went with the
 * notebook's kernel: on No Kernel, with no kernel on its way.
 */
function isLeftBehind(console: ConsolePanel, path: string): boolean {
  const context = console.sessionContext;
  return (
    context.path === path &&
    context.isReady &&
    !context.session &&
    context.hasNoKernel
  );
}
