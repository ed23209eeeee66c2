import { TranslationBundle } from '@jupyterlab/translation';
import React from 'react';

import { ChatListActions } from './actions';

/** What every part of the list needs: its actions (and through them the model). */
export interface IChatListContext {
  actions: ChatListActions;
  trans: TranslationBundle;
}

export const ChatListContext = React.createContext<IChatListContext>(
  null as unknown as IChatListContext
);
