import { Token } from '@lumino/coreutils';

import type { ChatView } from './chat/ChatView';
import type { ISource } from './chat/messages';

/** Where a chat is shown: in the Chats side panel or in a main-area tab. */
export type ChatPlace = 'panel' | 'tab';

/** What a message for the chat says, and where it came from. */
export interface IChatRequest {
  text: string;
  source?: ISource;
  /** Send at once, rather than leave it in the input to be completed. */
  send?: boolean;
  /** Add to what is already in the input of the chat in view, not a new chat. */
  append?: boolean;
}

/** Opens chat views; provided by the Chats panel plugin. */
export interface IChatOpener {
  /** Opens a chat (`null`: a new one) and resolves with its view. */
  open(chatId: string | null, where: ChatPlace): Promise<ChatView>;
  /** Shows a request in a chat: a new chat, or the one in view with `append`. */
  ask(request: IChatRequest): Promise<ChatView>;
  /** Fetches the models again for the open chats: connections or presets changed. */
  refreshModels(): Promise<void>;
}

export const IChatOpener = new Token<IChatOpener>(
  'jupyter-chat-ext:IChatOpener',
  'Opens chats in the side panel or in main-area tabs.'
);
