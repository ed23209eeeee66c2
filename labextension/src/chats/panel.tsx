import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { Panel } from '@lumino/widgets';
import React from 'react';

import { chatIcon } from '../icons';
import { ChatListActions, OpenChat } from './actions';
import { ChatList } from './ChatList';
import { ChatListModel } from './model';

export const PANEL_ID = 'jp-chat-ext-panel';

/**
 * The left side panel. It holds the chat list (`list`); other widgets, such as a chat
 * view, can be added beside it and the list hidden while they show.
 */
export class ChatsPanel extends Panel {
  constructor(options: ChatsPanel.IOptions) {
    super();
    this._model = options.model;
    this.id = PANEL_ID;
    this.addClass('jp-ChatExt-panel');
    this.title.icon = chatIcon;
    this.title.caption = options.trans.__('Chats');
    this.actions = new ChatListActions(
      options.model,
      options.trans,
      options.openChat ?? null
    );
    this.list = new ChatListWidget(this.actions, options.trans);
    this.addWidget(this.list);
  }

  /** The chat list; hide it to give the panel to another widget. */
  readonly list: ChatListWidget;

  /** What the list's buttons and menus do (new chat, new folder, ...). */
  readonly actions: ChatListActions;

  get model(): ChatListModel {
    return this._model;
  }

  override dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.actions.dispose();
    super.dispose();
  }

  // Nothing is fetched until the panel is first shown, so JupyterLab starts no
  // slower for people who never open it.
  protected override onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._model.start();
  }

  private _model: ChatListModel;
}

/** The chat list as a widget of its own. */
export class ChatListWidget extends ReactWidget {
  constructor(
    private readonly _actions: ChatListActions,
    private readonly _trans: TranslationBundle
  ) {
    super();
    this.addClass('jp-ChatExt-chatListWidget');
  }

  protected override onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._actions.model.start();
  }

  protected override render(): JSX.Element {
    return <ChatList actions={this._actions} trans={this._trans} />;
  }
}

export namespace ChatsPanel {
  export interface IOptions {
    model: ChatListModel;
    trans: TranslationBundle;
    /**
     * Opens a chat (`null`: a new one) in the panel or in a main-area tab. Without it,
     * "New chat" creates an untitled chat and clicking a chat only selects it.
     */
    openChat?: OpenChat;
  }
}
