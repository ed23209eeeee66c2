import {
  ILabShell,
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IConsoleTracker } from '@jupyterlab/console';
import { ILauncher } from '@jupyterlab/launcher';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStateDB } from '@jupyterlab/statedb';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';

import { adminPlugin } from './admin/plugin';
import { ChatApiClient } from './api/client';
import { ChatEventStream } from './api/events';
import { EVERY_CHAT } from './chats/everyChat';
import { ChatListModel } from './chats/model';
import { ChatsPanel } from './chats/panel';
import { CommandIDs } from './commands';
import { chatIcon } from './icons';
import { keysPlugin } from './keys/plugin';
import { addNotebookCommands } from './notebook';
import { ChatOpener } from './opener';
import { ChatPreferences } from './settings';
import { ChatPlace, IChatOpener } from './tokens';

export { CommandIDs } from './commands';
export { IChatOpener } from './tokens';

const PANEL_PLUGIN = 'jupyter-chat-ext:chats-panel';

/**
 * The Chats side panel and the chat views: in the panel (in place of the list) and
 * in main-area tabs. Only the list and the commands load with JupyterLab; the chat
 * view's code is fetched when the first chat opens.
 */
const panelPlugin: JupyterFrontEndPlugin<IChatOpener> = {
  id: PANEL_PLUGIN,
  description: 'The Chats side panel and chat views, in the panel and in tabs.',
  autoStart: true,
  requires: [IRenderMimeRegistry],
  optional: [
    ITranslator,
    ICommandPalette,
    ILayoutRestorer,
    ISettingRegistry,
    ILauncher,
    IStateDB,
    ILabShell
  ],
  provides: IChatOpener,
  activate: (
    app: JupyterFrontEnd,
    rendermime: IRenderMimeRegistry,
    translator: ITranslator | null,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    settingRegistry: ISettingRegistry | null,
    launcher: ILauncher | null,
    state: IStateDB | null,
    labShell: ILabShell | null
  ): IChatOpener => {
    translator = translator ?? nullTranslator;
    const trans = translator.load('jupyter_chat_ext');
    const serverSettings = app.serviceManager.serverSettings;
    const client = new ChatApiClient(serverSettings);
    const events = new ChatEventStream(serverSettings);
    const preferences = loadPreferences(settingRegistry);

    const model = new ChatListModel({ client, events });
    const panel = new ChatsPanel({
      model,
      trans,
      // Called on clicks, by when the opener exists.
      openChat: (chatId, where) => void opener.open(chatId, where)
    });
    const opener = new ChatOpener({
      app,
      panel,
      client,
      events,
      preferences,
      rendermime,
      translator,
      state
    });
    app.shell.add(panel, 'left', { rank: 600 });
    restorer?.add(panel, panel.id);
    restorer?.restore(opener.tracker, {
      command: CommandIDs.openChat,
      args: view => ({ chatId: view.chatId, where: 'tab' }),
      name: view => view.chatId ?? ''
    });
    restorePanelChat(app, panel, opener, labShell);

    addCommands(app, opener, panel, trans);
    mirrorEveryChatCommands(app, panel);
    for (const command of [
      CommandIDs.openPanel,
      CommandIDs.newChat,
      CommandIDs.openChatInTab,
      CommandIDs.focusInput,
      CommandIDs.importChats,
      CommandIDs.downloadAllChats,
      CommandIDs.archiveAllChats,
      CommandIDs.deleteAllChats
    ]) {
      palette?.addItem({ command, category: trans.__('Chat') });
    }
    launcher?.add({
      command: CommandIDs.newChat,
      // The card is named "Chat", beside "Notebook" and "Console", as the command says
      // when a launcher asks.
      args: { where: 'tab', isLauncher: true },
      category: trans.__('Other'),
      rank: 1
    });
    return opener;
  }
};

/** Notebook commands: ask about a cell, explain its error, send a selection. */
const notebookPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-chat-ext:notebook',
  description: 'Asking the chat about notebook cells, errors and selections.',
  autoStart: true,
  requires: [IChatOpener, INotebookTracker],
  optional: [ITranslator, ICommandPalette, IConsoleTracker, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    opener: IChatOpener,
    notebooks: INotebookTracker,
    translator: ITranslator | null,
    palette: ICommandPalette | null,
    consoles: IConsoleTracker | null,
    settingRegistry: ISettingRegistry | null
  ) => {
    addNotebookCommands({
      app,
      opener,
      notebooks,
      consoles,
      // Run's kernel wait is one of the chat settings.
      preferences: loadPreferences(settingRegistry),
      palette,
      trans: (translator ?? nullTranslator).load('jupyter_chat_ext')
    });
  }
};

/** The chat settings, followed once loaded (the defaults until then, or without a registry). */
function loadPreferences(
  settingRegistry: ISettingRegistry | null
): ChatPreferences {
  const preferences = new ChatPreferences();
  settingRegistry
    ?.load(PANEL_PLUGIN)
    .then(settings => preferences.attach(settings))
    .catch(reason =>
      console.warn('chat-ext: could not load the chat settings', reason)
    );
  return preferences;
}

function addCommands(
  app: JupyterFrontEnd,
  opener: ChatOpener,
  panel: ChatsPanel,
  trans: TranslationBundle
): void {
  const { commands, shell } = app;
  const place = (args: { where?: unknown }): ChatPlace =>
    args.where === 'tab' ? 'tab' : 'panel';

  commands.addCommand(CommandIDs.openPanel, {
    label: trans.__('Open Chats'),
    caption: trans.__('Show the list of your chats'),
    icon: args => (args.isPalette ? undefined : chatIcon),
    execute: () => shell.activateById(panel.id)
  });

  commands.addCommand(CommandIDs.openChat, {
    label: trans.__('Open Chat'),
    caption: trans.__('Show the Chats panel with its chat'),
    icon: args => (args.isPalette ? undefined : chatIcon),
    execute: async args => {
      const chatId = typeof args.chatId === 'string' ? args.chatId : null;
      if (chatId !== null || args.where === 'tab') {
        return opener.open(chatId, place(args));
      }
      shell.activateById(panel.id);
      opener.panelView?.focusInput();
      return undefined;
    }
  });

  commands.addCommand(CommandIDs.openChatInTab, {
    label: trans.__('Open Chat in New Tab'),
    caption: trans.__('Open the chat shown in the panel in a main-area tab'),
    isEnabled: args =>
      typeof args.chatId === 'string' || !!opener.panelView?.chatId,
    execute: args => {
      const chatId =
        typeof args.chatId === 'string'
          ? args.chatId
          : opener.panelView?.chatId;
      if (chatId) {
        if (chatId === opener.panelView?.chatId) {
          opener.showList();
        }
        return opener.open(chatId, 'tab');
      }
      return undefined;
    }
  });

  commands.addCommand(CommandIDs.newChat, {
    // "Chat" beside "Notebook" and "Console" on the launcher and in File > New.
    label: args =>
      args.isLauncher || args.isMenu ? trans.__('Chat') : trans.__('New Chat'),
    caption: trans.__('Start a new chat'),
    icon: args => (args.isPalette ? undefined : chatIcon),
    execute: args => opener.open(null, place(args))
  });

  commands.addCommand(CommandIDs.focusInput, {
    label: trans.__('Focus the Chat Input'),
    caption: trans.__(
      'Put the cursor in the message input of the chat in view'
    ),
    execute: async () => {
      const view = opener.current() ?? opener.panelView;
      if (view) {
        shell.activateById(view === opener.panelView ? panel.id : view.id);
        view.focusInput();
        return;
      }
      await opener.open(null, 'panel');
    }
  });
}

/** The list's every-chat actions as app commands, so the command palette finds them. */
function mirrorEveryChatCommands(
  app: JupyterFrontEnd,
  panel: ChatsPanel
): void {
  const { actions } = panel;
  const pairs: [string, string][] = [
    [CommandIDs.importChats, EVERY_CHAT.importChats],
    [CommandIDs.downloadAllChats, EVERY_CHAT.exportAll],
    [CommandIDs.archiveAllChats, EVERY_CHAT.archiveAll],
    [CommandIDs.deleteAllChats, EVERY_CHAT.deleteAll]
  ];
  for (const [id, listCommand] of pairs) {
    app.commands.addCommand(id, {
      ...actions.describe(listCommand),
      execute: () => actions.runEveryChat(listCommand)
    });
  }
}

/**
 * Reopens the chat the panel showed before a reload, once the panel is in view (so a
 * hidden panel costs nothing at start-up). Until then the panel is `aria-busy`: what it
 * shows first (the list) may still give way to that chat.
 */
function restorePanelChat(
  app: JupyterFrontEnd,
  panel: ChatsPanel,
  opener: ChatOpener,
  labShell: ILabShell | null
): void {
  panel.node.setAttribute('aria-busy', 'true');
  const settle = () => panel.node.removeAttribute('aria-busy');
  let done = false;
  const check = () => {
    if (!done && panel.isVisible) {
      done = true;
      labShell?.layoutModified.disconnect(check);
      void opener.restorePanel().finally(settle);
    }
  };
  void app.restored.then(() => {
    check();
    if (done) {
      return;
    }
    if (labShell) {
      labShell.layoutModified.connect(check);
    } else {
      // No shell to say when the panel shows: nothing will be restored.
      done = true;
      settle();
    }
  });
}

export default [panelPlugin, notebookPlugin, adminPlugin, keysPlugin];
