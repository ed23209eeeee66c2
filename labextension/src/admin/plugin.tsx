import { settingsIcon } from '@jupyterlab/ui-components';
import React from 'react';

import { AdminScreen } from './AdminScreen';
import { screenPlugin } from './screen';

export const OPEN_ADMIN = 'chat-ext:open-admin';

/** The "Chat Models" screen: connections and presets. */
export const adminPlugin = screenPlugin({
  id: 'jupyter-chat-ext:admin',
  description: 'Connections to model servers and model presets.',
  command: OPEN_ADMIN,
  widgetId: 'jp-chat-ext-admin',
  icon: settingsIcon,
  label: trans => trans.__('Chat Models and Connections'),
  caption: trans => trans.__('Manage model server connections and presets'),
  render: (client, trans, opener) => (
    <AdminScreen
      client={client}
      trans={trans}
      // Open chats list the models anew, rather than keep offering what changed.
      onModelsChanged={() => void opener?.refreshModels()}
    />
  )
});
