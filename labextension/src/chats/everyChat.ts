/**
 * What the chat list does to every chat at once, from its More actions menu: import a
 * file of chats, download them all, archive or delete them all.
 */

import { Notification, showErrorMessage } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';

import { errorMessage } from '../errors';
import { confirm, download, pickFile } from './dialogs';
import { ChatListModel, ImportStopped } from './model';

export const EVERY_CHAT = {
  importChats: 'chat-list:import',
  exportAll: 'chat-list:export-all',
  archiveAll: 'chat-list:archive-all',
  deleteAll: 'chat-list:delete-all'
};

/** Runs an action, showing a failure under `title` rather than losing it. */
export type Guard = (
  title: string,
  action: () => Promise<unknown>
) => Promise<void>;

/** Adds the four commands to the list's own registry. */
export function addEveryChatCommands(
  commands: CommandRegistry,
  model: ChatListModel,
  trans: TranslationBundle,
  guard: Guard
): void {
  commands.addCommand(EVERY_CHAT.importChats, {
    label: trans.__('Import Chats…'),
    caption: trans.__(
      'Import a file of chats exported from here or from Open WebUI'
    ),
    execute: async () => {
      const file = await pickFile('.json,application/json');
      if (file) {
        await importFile(file, model, trans);
      }
    }
  });
  commands.addCommand(EVERY_CHAT.exportAll, {
    label: trans.__('Download All Chats'),
    execute: () =>
      guard(trans.__('The chats could not be downloaded'), async () =>
        download(await model.exportAll())
      )
  });
  const askedFirst =
    (
      title: string,
      question: string,
      action: string,
      failed: string,
      run: () => Promise<unknown>
    ) =>
    async () => {
      if (await confirm(title, question, action, trans)) {
        await guard(failed, run);
      }
    };
  commands.addCommand(EVERY_CHAT.archiveAll, {
    label: trans.__('Archive All Chats…'),
    execute: askedFirst(
      trans.__('Archive All Chats'),
      trans.__(
        'Archive every chat? They move to the archived chats, where each can be unarchived.'
      ),
      trans.__('Archive All'),
      trans.__('The chats could not be archived'),
      () => model.archiveAll()
    )
  });
  commands.addCommand(EVERY_CHAT.deleteAll, {
    label: trans.__('Delete All Chats…'),
    execute: askedFirst(
      trans.__('Delete All Chats'),
      trans.__(
        'Delete every chat and all their messages, archived ones too? This cannot be undone.'
      ),
      trans.__('Delete All'),
      trans.__('The chats could not be deleted'),
      () => model.deleteAll()
    )
  });
}

async function importFile(
  file: File,
  model: ChatListModel,
  trans: TranslationBundle
): Promise<void> {
  const title = trans.__('Import Failed');
  let document: unknown;
  try {
    document = JSON.parse(await file.text());
  } catch (error) {
    await showErrorMessage(
      title,
      trans.__('“%1” is not a JSON file: %2', file.name, String(error))
    );
    return;
  }
  try {
    const count = await model.importChats(document);
    Notification.success(
      trans._n('Imported %1 chat.', 'Imported %1 chats.', count),
      { autoClose: 5000 }
    );
  } catch (error) {
    const reason = errorMessage(
      error instanceof ImportStopped ? error.reason : error,
      trans
    );
    await showErrorMessage(
      title,
      error instanceof ImportStopped
        ? trans._n(
            '%1 chat was imported, then the rest failed: %2',
            '%1 chats were imported, then the rest failed: %2',
            error.imported,
            reason
          )
        : reason
    );
  }
}
