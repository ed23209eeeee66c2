import { TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';

import { ChatPreferences } from '../settings';
import { ModelCatalog } from './catalog';
import { CodeAction } from './decorate';
import { Draft, PromptHistory } from './draft';
import { IMarkdownContext } from './markdown';
import { ChatViewModel } from './model';
import { FocusHandOff } from './refocus';

/** What every part of one chat view shares; fixed for the view's life. */
export interface IChatViewContext {
  model: ChatViewModel;
  catalog: ModelCatalog;
  preferences: ChatPreferences;
  markdown: IMarkdownContext;
  trans: TranslationBundle;
  commands: CommandRegistry;
  draft: Draft;
  history: PromptHistory;
  /** The model chosen in the view, used to send, regenerate and edit. */
  selectedModel(): string | null;
  copy(text: string): void;
  /** Gives the focus on when an action removes the control that had it. */
  focus: FocusHandOff;
  codeAction(action: CodeAction, code: string, language: string): void;
}
