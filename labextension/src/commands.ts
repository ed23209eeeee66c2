/** Command ids of the chat workspace (the list's own commands live with the list). */
export namespace CommandIDs {
  /** Shows the Chats side panel. */
  export const openPanel = 'chat-ext:open-panel';
  /** Opens a chat: `{chatId?, where?: 'panel' | 'tab'}`; no chatId shows the panel. */
  export const openChat = 'chat-ext:open-chat';
  /** Opens a chat in a main-area tab: `{chatId}`. */
  export const openChatInTab = 'chat-ext:open-chat-in-tab';
  /** Starts a chat: `{where?: 'panel' | 'tab'}`. */
  export const newChat = 'chat-ext:new-chat';
  /** Puts the cursor in the message input of the chat in view. */
  export const focusInput = 'chat-ext:focus-input';
  /** The admin screen for model connections and presets. */
  export const openAdmin = 'chat-ext:open-admin';
  export const askAboutCell = 'chat-ext:ask-about-cell';
  export const explainError = 'chat-ext:explain-error';
  export const sendSelection = 'chat-ext:send-selection';
  /** Inserts `{code}` as a new cell below the active cell of the active notebook. */
  export const insertCode = 'chat-ext:insert-code-cell';
  /** Opens a message's source notebook at its cell: `{notebook, cellId?, cell?}`. */
  export const openSource = 'chat-ext:open-source-cell';
  /** Runs `{code}` in a console attached to the active notebook's kernel. */
  export const runCode = 'chat-ext:run-code-in-console';
  /** The chat list's every-chat actions, in the command palette too. */
  export const importChats = 'chat-ext:import-chats';
  export const downloadAllChats = 'chat-ext:download-all-chats';
  export const archiveAllChats = 'chat-ext:archive-all-chats';
  export const deleteAllChats = 'chat-ext:delete-all-chats';
}
