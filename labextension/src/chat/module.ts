/**
 * The chat view and what it needs, loaded on first use (a dynamic import), so that
 * JupyterLab starts without it.
 */
export { ModelCatalog } from './catalog';
export { ChatView } from './ChatView';
export { PromptHistory } from './draft';
export { DraftShelf, tabBackup } from './shelf';
