import { JupyterFrontEnd } from '@jupyterlab/application';
import { PathExt } from '@jupyterlab/coreutils';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';
import { Cell, ICodeCellModel, MarkdownCell } from '@jupyterlab/cells';
import { IConsoleTracker } from '@jupyterlab/console';
import * as nbformat from '@jupyterlab/nbformat';
import {
  INotebookTracker,
  NotebookActions,
  NotebookPanel
} from '@jupyterlab/notebook';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { fenceFor } from './chat/blocks';
import { notebookLanguage, planCode } from './codecell';
import { runCodeInConsole } from './runcode';
import type { ISource } from './chat/messages';
import { CommandIDs } from './commands';
import { ChatPreferences } from './settings';
import { IChatOpener } from './tokens';

/** Tracebacks longer than this keep only their end, where the error is. */
const MAX_TRACEBACK = 8000;
const CELL_SELECTOR = '.jp-Notebook .jp-Cell';

export interface INotebookIntegrationOptions {
  app: JupyterFrontEnd;
  opener: IChatOpener;
  notebooks: INotebookTracker;
  consoles: IConsoleTracker | null;
  preferences: ChatPreferences;
  palette: ICommandPalette | null;
  trans: TranslationBundle;
}

/**
 * Commands between notebooks and chats: asking about a cell, explaining its error,
 * sending a selection (palette and cell context menu), and the code block actions
 * of answers (insert as a cell, run in a console of the notebook's kernel).
 */
export function addNotebookCommands(
  options: INotebookIntegrationOptions
): void {
  const { app, opener, notebooks, palette, trans } = options;
  const { commands } = app;
  const category = trans.__('Chat');

  /** A command that sends something of the active cell to a chat. */
  const addCellCommand = (
    id: string,
    options: {
      label: string;
      caption: string;
      kind: ISource['kind'];
      /** The message; null when the cell has nothing to send. */
      compose: (panel: NotebookPanel, cell: Cell) => string | null;
      send?: boolean;
      append?: boolean;
    }
  ) => {
    const compose = (found: ReturnType<typeof activeCell>) =>
      found ? options.compose(found.panel, found.cell) : null;
    commands.addCommand(id, {
      label: options.label,
      caption: options.caption,
      isEnabled: () => compose(activeCell(notebooks)) !== null,
      execute: async () => {
        const found = activeCell(notebooks);
        const text = compose(found);
        if (!found || text === null) {
          return;
        }
        await opener.ask({
          text,
          source: {
            kind: options.kind,
            notebook: found.panel.context.path,
            cell: found.index,
            cellId: found.cell.model.id
          },
          send: options.send,
          append: options.append
        });
      }
    });
  };

  addCellCommand(CommandIDs.askAboutCell, {
    label: trans.__('Ask About This Cell'),
    caption: trans.__('Start a chat about the active cell'),
    kind: 'cell',
    compose: (panel, cell) =>
      trans.__('About this cell of `%1`:', panel.context.path) +
      `\n\n${fenced(cell.model.sharedModel.getSource(), cellLanguage(panel, cell))}\n\n`
  });

  addCellCommand(CommandIDs.explainError, {
    label: trans.__('Explain This Error'),
    caption: trans.__(
      'Send the active cell and its traceback to a new chat, asking what went wrong'
    ),
    kind: 'error',
    send: true,
    compose: (panel, cell) => {
      const error = errorOf(cell);
      if (!error) {
        return null;
      }
      return [
        trans.__(
          'This cell of `%1` fails. Explain the error and how to fix it.',
          panel.context.path
        ),
        fenced(cell.model.sharedModel.getSource(), cellLanguage(panel, cell)),
        fenced(tracebackText(error), 'text')
      ].join('\n\n');
    }
  });

  addCellCommand(CommandIDs.sendSelection, {
    label: trans.__('Send Selection to Chat'),
    caption: trans.__(
      'Add the selected text (or the selected cells) to the message being written'
    ),
    kind: 'selection',
    append: true,
    compose: (panel, cell) => {
      const selected = selectedText(panel, cell);
      if (!selected.trim()) {
        return null;
      }
      return (
        trans.__('From `%1`:', panel.context.path) +
        `\n\n${fenced(selected, cellLanguage(panel, cell))}\n\n`
      );
    }
  });

  commands.addCommand(CommandIDs.insertCode, {
    label: trans.__('Insert Code as a Cell'),
    execute: args => {
      const panel = notebooks.currentWidget;
      if (!panel) {
        Notification.warning(
          trans.__('Open a notebook to insert code into it.'),
          { autoClose: 4000 }
        );
        return;
      }
      const language = String(args.language ?? '');
      const plan = planCode(
        String(args.code ?? ''),
        language,
        notebookLanguage(panel)
      );
      if (plan.kind === 'foreign') {
        // Kept where it can be read and copied, not run as the kernel's language.
        Notification.info(
          trans.__(
            "The %1 code went in as a Markdown cell: the notebook's kernel does not run %1.",
            plan.language
          ),
          { autoClose: 6000 }
        );
      }
      insertCell(
        panel,
        plan.kind === 'code' ? 'code' : 'markdown',
        plan.kind === 'foreign'
          ? fenced(String(args.code ?? ''), language)
          : plan.source
      );
      app.shell.activateById(panel.id);
    }
  });

  commands.addCommand(CommandIDs.runCode, {
    label: trans.__('Run Code in a Console'),
    execute: args =>
      runCodeInConsole(
        options,
        String(args.code ?? ''),
        String(args.language ?? '')
      )
  });

  commands.addCommand(CommandIDs.openSource, {
    label: trans.__('Open the Cell a Message Came From'),
    execute: args => openSource(app, trans, args)
  });

  // A group of their own at the end of the cell menu, after JupyterLab's own (up to 60).
  app.contextMenu.addItem({
    type: 'separator',
    selector: CELL_SELECTOR,
    rank: 70
  });
  for (const [command, rank] of [
    [CommandIDs.askAboutCell, 70],
    [CommandIDs.explainError, 71],
    [CommandIDs.sendSelection, 72]
  ] as const) {
    palette?.addItem({ command, category });
    app.contextMenu.addItem({ command, selector: CELL_SELECTOR, rank });
  }
}

/**
 * Opens a notebook at the cell a message came from: found by its id, else (a message
 * from before ids were kept, or a notebook that does not keep them) by its position;
 * a cell that is gone leaves the notebook open, and says so.
 */
async function openSource(
  app: JupyterFrontEnd,
  trans: TranslationBundle,
  args: ReadonlyPartialJSONObject
): Promise<void> {
  const path = String(args.notebook ?? '');
  const panel = (await app.commands.execute('docmanager:open', {
    path
  })) as NotebookPanel | undefined;
  if (!(panel instanceof NotebookPanel)) {
    return;
  }
  await panel.context.ready;
  const notebook = panel.content;
  const cellId = typeof args.cellId === 'string' ? args.cellId : null;
  const position = typeof args.cell === 'number' ? args.cell : null;
  let index = cellId
    ? notebook.widgets.findIndex(cell => cell.model.id === cellId)
    : -1;
  // Before nbformat 4.5 ids are made afresh each time the notebook opens.
  const keepsIds =
    panel.context.model.nbformat > 4 ||
    (panel.context.model.nbformat === 4 &&
      panel.context.model.nbformatMinor >= 5);
  if (index < 0 && (!cellId || !keepsIds) && position !== null) {
    index = position < notebook.widgets.length ? position : -1;
  }
  app.shell.activateById(panel.id);
  if (index < 0) {
    if (cellId !== null || position !== null) {
      Notification.warning(
        trans.__(
          'The cell this message came from is no longer in %1.',
          PathExt.basename(path)
        ),
        { autoClose: 5000 }
      );
    }
    return;
  }
  notebook.mode = 'command';
  notebook.activeCellIndex = index;
  notebook.deselectAll();
  await notebook.scrollToCell(notebook.widgets[index], 'center');
  notebook.activeCell?.node.focus();
}

function activeCell(
  notebooks: INotebookTracker
): { panel: NotebookPanel; cell: Cell; index: number } | null {
  const panel = notebooks.currentWidget;
  const cell = panel?.content.activeCell;
  if (!panel || !cell) {
    return null;
  }
  return { panel, cell, index: panel.content.activeCellIndex };
}

function cellLanguage(panel: NotebookPanel, cell: Cell): string {
  if (cell.model.type === 'markdown') {
    return 'markdown';
  }
  if (cell.model.type === 'raw') {
    return 'text';
  }
  return notebookLanguage(panel);
}

/** A new cell below the active one, made active and scrolled to. */
function insertCell(
  panel: NotebookPanel,
  type: 'code' | 'markdown',
  source: string
): void {
  const notebook = panel.content;
  NotebookActions.insertBelow(notebook);
  if (type !== notebook.activeCell?.model.type) {
    NotebookActions.changeCellType(notebook, type);
  }
  const cell = notebook.activeCell;
  cell?.model.sharedModel.setSource(source);
  if (cell instanceof MarkdownCell) {
    cell.rendered = true;
  }
  cell?.node.scrollIntoView({ block: 'nearest' });
}

function fenced(text: string, language: string): string {
  const fence = fenceFor(text);
  return `${fence}${language}\n${text.replace(/\n+$/, '')}\n${fence}`;
}

function errorOf(cell: Cell): nbformat.IError | null {
  if (cell.model.type !== 'code') {
    return null;
  }
  const outputs = (cell.model as ICodeCellModel).outputs;
  for (let i = 0; i < outputs.length; i++) {
    const output = outputs.get(i).toJSON();
    if (output.output_type === 'error') {
      return output as nbformat.IError;
    }
  }
  return null;
}

function tracebackText(error: nbformat.IError): string {
  // Tracebacks come coloured with ANSI escapes, which mean nothing to a model.
  const plain = (error.traceback ?? [])
    .join('\n')
    // eslint-disable-next-line no-control-regex
    .replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');
  const text = plain.trim() || `${error.ename}: ${error.evalue}`;
  return text.length > MAX_TRACEBACK
    ? `…\n${text.slice(text.length - MAX_TRACEBACK)}`
    : text;
}

/** The selected text of the active cell's editor, else the selected cells' sources. */
function selectedText(panel: NotebookPanel, active: Cell): string {
  const editor = active.editor;
  if (editor) {
    const range = editor.getSelection();
    const start = editor.getOffsetAt(range.start);
    const end = editor.getOffsetAt(range.end);
    if (start !== end) {
      const source = active.model.sharedModel.getSource();
      return source.slice(Math.min(start, end), Math.max(start, end));
    }
  }
  const notebook = panel.content;
  return notebook.widgets
    .filter(cell => notebook.isSelectedOrActive(cell))
    .map(cell => cell.model.sharedModel.getSource())
    .join('\n\n');
}
