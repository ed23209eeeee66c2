import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { ChatApiClient } from './api/client';
import { ChatEventStream } from './api/events';
import { ChatListModel } from './chats/model';
import { ChatsPanel } from './chats/panel';
import { chatIcon } from './icons';

export namespace CommandIDs {
  export const openPanel = 'chat-ext:open-panel';
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-chat-ext:chats-panel',
  description: 'The Chats side panel: the current user’s chats, kept live.',
  autoStart: true,
  optional: [ITranslator, ICommandPalette, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    translator: ITranslator | null,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null
  ) => {
    const trans = (translator ?? nullTranslator).load('jupyter_chat_ext');
    const serverSettings = app.serviceManager.serverSettings;
    const model = new ChatListModel({
      client: new ChatApiClient(serverSettings),
      events: new ChatEventStream(serverSettings)
    });
    const panel = new ChatsPanel({ model, trans });
    app.shell.add(panel, 'left', { rank: 600 });
    restorer?.add(panel, panel.id);

    app.commands.addCommand(CommandIDs.openPanel, {
      label: trans.__('Open Chats'),
      caption: trans.__('Show the list of your chats'),
      icon: args => (args.isPalette ? undefined : chatIcon),
      execute: () => app.shell.activateById(panel.id)
    });
    palette?.addItem({
      command: CommandIDs.openPanel,
      category: trans.__('Chat')
    });
  }
};

export default plugin;
