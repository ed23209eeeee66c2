import React from 'react';

import { screenPlugin } from '../admin/screen';
import { keyIcon } from './icons';
import { KeysScreen } from './KeysScreen';

export const OPEN_KEYS = 'chat-ext:open-keys';

/** The "Chat API Keys" screen: the user's keys for the OpenAI- and Ollama-compatible APIs. */
export const keysPlugin = screenPlugin({
  id: 'jupyter-chat-ext:api-keys',
  description: 'Personal API keys for the OpenAI- and Ollama-compatible APIs.',
  command: OPEN_KEYS,
  widgetId: 'jp-chat-ext-keys',
  icon: keyIcon,
  label: trans => trans.__('Chat API Keys'),
  caption: trans =>
    trans.__(
      'Keys that let other programs use your models through the OpenAI- and Ollama-compatible APIs'
    ),
  render: (client, trans) => <KeysScreen client={client} trans={trans} />
});
