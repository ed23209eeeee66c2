import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import React from 'react';

import { chatIcon } from '../icons';
import { ChatList } from './ChatList';
import { ChatListModel } from './model';

export const PANEL_ID = 'jp-chat-ext-panel';

/** The left side panel listing the user's chats. */
export class ChatsPanel extends ReactWidget {
  constructor(options: ChatsPanel.IOptions) {
    super();
    this._model = options.model;
    this._trans = options.trans;
    this.id = PANEL_ID;
    this.addClass('jp-ChatExt-panel');
    this.title.icon = chatIcon;
    this.title.caption = this._trans.__('Chats');
  }

  // Nothing is fetched until the panel is first shown, so JupyterLab starts no
  // slower for people who never open it.
  protected override onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._model.start();
  }

  protected override render(): JSX.Element {
    return <ChatList model={this._model} trans={this._trans} />;
  }

  private _model: ChatListModel;
  private _trans: TranslationBundle;
}

export namespace ChatsPanel {
  export interface IOptions {
    model: ChatListModel;
    trans: TranslationBundle;
  }
}
