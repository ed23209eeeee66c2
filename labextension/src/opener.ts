import { JupyterFrontEnd } from '@jupyterlab/application';
import { WidgetTracker } from '@jupyterlab/apputils';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { IStateDB } from '@jupyterlab/statedb';
import { ITranslator } from '@jupyterlab/translation';

import { ChatApiClient } from './api/client';
import { ChatEventStream } from './api/events';
import type { ChatView } from './chat/ChatView';
import { ChatsPanel } from './chats/panel';
import { chatIcon } from './icons';
import { ChatPreferences } from './settings';
import { ChatPlace, IChatOpener, IChatRequest } from './tokens';

type ChatModule = typeof import('./chat/module');

/** Where the panel's open chat is remembered across reloads. */
const PANEL_STATE = 'jupyter-chat-ext:panel-chat';

let tabCount = 0;

/**
 * Opens chat views in the Chats side panel (in place of the list, with a way back)
 * or in main-area tabs. The view's code is fetched the first time one opens.
 */
export class ChatOpener implements IChatOpener {
  constructor(private _options: ChatOpener.IOptions) {
    this.tracker = new WidgetTracker<ChatView>({
      namespace: 'jupyter-chat-ext-chat'
    });
  }

  /** The chats open in main-area tabs. */
  readonly tracker: WidgetTracker<ChatView>;

  /** The view shown in the side panel, if one is. */
  get panelView(): ChatView | null {
    const view = this._panelView;
    return view && !view.isDisposed ? view : null;
  }

  async open(chatId: string | null, where: ChatPlace): Promise<ChatView> {
    if (where === 'tab') {
      return this._openInTab(chatId);
    }
    this._panelAsks++;
    return this._openInPanel(chatId);
  }

  async ask(request: IChatRequest): Promise<ChatView> {
    const view =
      request.append && this.current()
        ? this.current()!
        : await this.open(null, 'panel');
    if (view === this.panelView) {
      this._options.app.shell.activateById(this._options.panel.id);
    } else {
      this._options.app.shell.activateById(view.id);
    }
    view.ask(request.text, {
      source: request.source ?? null,
      send: request.send,
      append: request.append
    });
    return view;
  }

  /** The chat view the user is looking at: the current tab's, else the panel's. */
  current(): ChatView | null {
    const { app } = this._options;
    const main = app.shell.currentWidget;
    if (main && this.tracker.has(main)) {
      return main as ChatView;
    }
    return this.panelView?.isVisible ? this.panelView : null;
  }

  /** Fetches the models again for every open chat (none open: the first one will). */
  async refreshModels(): Promise<void> {
    await this._catalog?.refresh(true);
  }

  /** Gives the side panel back to the chat list. */
  showList(): void {
    const { panel, state } = this._options;
    this._panelAsks++;
    this._panelView?.dispose();
    this._panelView = null;
    panel.list.show();
    panel.model.activeChatId = null;
    void state?.remove(PANEL_STATE);
  }

  /** Reopens the chat the panel showed before the page was reloaded. */
  async restorePanel(): Promise<void> {
    const asks = this._panelAsks;
    const saved = await this._options.state?.fetch(PANEL_STATE);
    if (typeof saved !== 'string' || !saved) {
      return;
    }
    await this._load();
    // What the user opened in the panel meanwhile (a chat, or the list) stands.
    if (asks === this._panelAsks && !this.panelView) {
      await this._openInPanel(saved, false);
    }
  }

  private _load(): Promise<ChatModule> {
    if (!this._module) {
      this._module = import('./chat/module').then(async module => {
        const { client, state } = this._options;
        this._catalog = new module.ModelCatalog(client);
        this._history = new module.PromptHistory();
        this._drafts = new module.DraftShelf(
          state,
          module.tabBackup(client.serverSettings.baseUrl)
        );
        // Unsent texts from before a reload, ready for the first view.
        await this._drafts.fetch();
        return module;
      });
    }
    return this._module;
  }

  private async _openInPanel(
    chatId: string | null,
    activate = true
  ): Promise<ChatView> {
    const { app, panel, state } = this._options;
    const module = await this._load();
    let view = this.panelView;
    if (!view || chatId === null || view.chatId !== chatId) {
      view?.dispose();
      view = this._create(module, chatId, 'panel');
      view.chatIdChanged.connect((_, id) => {
        panel.model.activeChatId = id;
        void state?.save(PANEL_STATE, id);
      });
      this._panelView = view;
      panel.addWidget(view);
    }
    panel.list.hide();
    view.show();
    panel.model.activeChatId = chatId;
    void state?.save(PANEL_STATE, chatId ?? '');
    if (activate) {
      app.shell.activateById(panel.id);
      view.focusInput();
    }
    return view;
  }

  private async _openInTab(chatId: string | null): Promise<ChatView> {
    const { app } = this._options;
    const open = chatId
      ? this.tracker.find(view => view.chatId === chatId)
      : undefined;
    if (open) {
      open.restoreDraft();
      app.shell.activateById(open.id);
      return open;
    }
    const module = await this._load();
    const view = this._create(module, chatId, 'tab');
    view.id = `jp-chat-ext-chat-${++tabCount}`;
    view.title.icon = chatIcon;
    view.title.closable = true;
    view.chatIdChanged.connect(() => void this.tracker.save(view));
    app.shell.add(view, 'main');
    await this.tracker.add(view);
    app.shell.activateById(view.id);
    return view;
  }

  private _create(
    module: ChatModule,
    chatId: string | null,
    placement: ChatPlace
  ): ChatView {
    const { app, client, events, preferences, rendermime, translator } =
      this._options;
    return new module.ChatView({
      chatId,
      client,
      events,
      catalog: this._catalog!,
      preferences,
      history: this._history!,
      drafts: this._drafts!,
      rendermime,
      translator,
      commands: app.commands,
      placement,
      onBack: placement === 'panel' ? () => this.showList() : undefined,
      onOpenInTab:
        placement === 'panel'
          ? id => {
              this.showList();
              void this._openInTab(id);
            }
          : undefined
    });
  }

  private _catalog: InstanceType<ChatModule['ModelCatalog']> | null = null;
  private _history: InstanceType<ChatModule['PromptHistory']> | null = null;
  private _drafts: InstanceType<ChatModule['DraftShelf']> | null = null;
  // How many times the user has asked for something in the panel: a restore that began
  // before the latest ask gives way to it.
  private _panelAsks = 0;
  private _module: Promise<ChatModule> | null = null;
  private _panelView: ChatView | null = null;
}

export namespace ChatOpener {
  export interface IOptions {
    app: JupyterFrontEnd;
    panel: ChatsPanel;
    client: ChatApiClient;
    events: ChatEventStream;
    preferences: ChatPreferences;
    rendermime: IRenderMimeRegistry;
    translator: ITranslator;
    state: IStateDB | null;
  }
}
