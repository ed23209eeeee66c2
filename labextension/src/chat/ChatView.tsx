import { Clipboard, Notification } from '@jupyterlab/apputils';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import { addIcon, launchIcon, ReactWidget } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import { Message } from '@lumino/messaging';
import { ISignal, Signal } from '@lumino/signaling';
import React, { useEffect, useRef, useState } from 'react';

import { ChatApiClient } from '../api/client';
import { ChatEventStream } from '../api/events';
import { CommandIDs } from '../commands';
import { errorMessage } from '../errors';
import { ChatPreferences } from '../settings';
import { ModelCatalog } from './catalog';
import { Composer } from './Composer';
import { IChatViewContext } from './context';
import { decorateRendered, RemoteContentGuard } from './decorate';
import { Draft, PromptHistory } from './draft';
import { FirstRun, ModelListFailed } from './FirstRun';
import { DraftShelf } from './shelf';
import { useSignals } from '../hooks';
import { warmUp } from './markdown';
import { backIcon } from './icons';
import { IconButton } from './Message';
import { MessageList } from './MessageList';
import { ISource } from './messages';
import { ChatViewModel } from './model';
import { ModelSelector } from './ModelSelector';
import { FocusHandOff } from './refocus';

/** How often a chat with no model to use asks for the models again. */
const NO_MODEL_POLL_MS = 5000;

/**
 * One chat: its messages, rendered with JupyterLab's rendermime, and an input to
 * continue it. Lives in the Chats side panel or in a main-area tab; several can be
 * open at once, each on its own chat.
 */
export class ChatView extends ReactWidget {
  constructor(options: ChatView.IOptions) {
    super();
    this.addClass('jp-ChatExt-chatView');
    this._options = options;
    const trans = options.translator.load('jupyter_chat_ext');
    this._trans = trans;
    this.model = new ChatViewModel({
      client: options.client,
      events: options.events,
      chatId: options.chatId
    });
    this.draft = new Draft();
    options.drafts.restore(this, options.chatId, this.draft);
    // Kept as typed, so that a reload or another view of the chat finds it.
    this.draft.changed.connect(() =>
      options.drafts.note(this, this.model.chatId, this.draft)
    );
    const rendermime = options.rendermime;
    const preferences = options.preferences;
    this._context = {
      model: this.model,
      catalog: options.catalog,
      preferences,
      trans,
      commands: options.commands,
      draft: this.draft,
      history: options.history,
      markdown: {
        sanitizer: new RemoteContentGuard(
          rendermime.sanitizer,
          () => preferences.values.loadRemoteImages
        ),
        latexTypesetter: rendermime.latexTypesetter,
        markdownParser: rendermime.markdownParser,
        translator: options.translator,
        decorate: (host, writing) => decorateRendered(host, trans, writing)
      },
      selectedModel: () => this._selectedModel,
      focus: new FocusHandOff(() => this.node),
      copy: text => {
        Clipboard.copyToSystem(text);
        Notification.success(trans.__('Copied to the clipboard'), {
          autoClose: 1500
        });
      },
      codeAction: (action, code, language) => {
        if (action === 'copy') {
          this._context.copy(code);
        } else {
          const command =
            action === 'insert' ? CommandIDs.insertCode : CommandIDs.runCode;
          void options.commands.execute(command, { code, language });
        }
      }
    };
    warmUp(this._context.markdown);
    this.title.label = trans.__('New Chat');
    this.model.changed.connect(this._updateTitle, this);
    this.model.chatIdChanged.connect((_, id) => {
      // What is typed now belongs to the chat just made, no longer to "a new chat".
      options.drafts.note(this, id, this.draft);
      this._chatIdChanged.emit(id);
    });
    void this.model.load();
    void options.catalog.refresh();
  }

  readonly model: ChatViewModel;
  readonly draft: Draft;

  get chatId(): string | null {
    return this.model.chatId;
  }

  /** The chat got its id: its first message was stored. */
  get chatIdChanged(): ISignal<this, string> {
    return this._chatIdChanged;
  }

  /** Puts the cursor in the message input. */
  focusInput(): void {
    const input = this.node.querySelector<HTMLTextAreaElement>(
      'textarea.jp-ChatExt-input'
    );
    if (input && !input.disabled) {
      this.draft.takeFocusRequest(); // an earlier request is answered too
      input.focus();
    } else {
      // Not ready yet (models loading): the input takes it when it can.
      this.draft.requestFocus();
    }
  }

  /** Fills in the input (and sends it at once, with `send`, when a model is ready). */
  ask(
    text: string,
    options: { source?: ISource | null; send?: boolean; append?: boolean } = {}
  ): void {
    this.draft.fill(text, options);
    requestAnimationFrame(() => this.focusInput());
  }

  /** Takes up what was typed in a view of this chat closed since, if nothing is typed here. */
  restoreDraft(): void {
    this._options.drafts.restore(this, this.model.chatId, this.draft);
  }

  override dispose(): void {
    if (this.isDisposed) {
      return;
    }
    // What was typed and not sent waits for the next view of this chat.
    this._options.drafts.release(this, this.model.chatId, this.draft);
    this.model.dispose();
    Signal.clearData(this);
    super.dispose();
  }

  protected override onActivateRequest(msg: Message): void {
    super.onActivateRequest(msg);
    requestAnimationFrame(() => this.focusInput());
  }

  protected override render(): JSX.Element {
    return (
      <ChatViewBody
        context={this._context}
        placement={this._options.placement}
        onBack={this._options.onBack}
        onOpenInTab={this._options.onOpenInTab}
        onModelChange={id => {
          this._selectedModel = id;
        }}
      />
    );
  }

  private _updateTitle(): void {
    const title = this.model.title || this._trans.__('New Chat');
    if (this.title.label !== title) {
      this.title.label = title;
      this.title.caption = title;
    }
  }

  private _chatIdChanged = new Signal<this, string>(this);
  private _context: IChatViewContext;
  private _options: ChatView.IOptions;
  private _selectedModel: string | null = null;
  private _trans: TranslationBundle;
}

export namespace ChatView {
  export interface IOptions {
    /** The chat to show; null for a new chat. */
    chatId: string | null;
    client: ChatApiClient;
    events: ChatEventStream;
    catalog: ModelCatalog;
    preferences: ChatPreferences;
    history: PromptHistory;
    /** What was typed and not sent in each chat, kept across views and reloads. */
    drafts: DraftShelf;
    rendermime: IRenderMimeRegistry;
    translator: ITranslator;
    commands: CommandRegistry;
    placement: 'panel' | 'tab';
    /** Shows the chat list again (in the side panel). */
    onBack?: () => void;
    /** Opens this chat in a main-area tab. */
    onOpenInTab?: (chatId: string) => void;
  }
}

function ChatViewBody(props: {
  context: IChatViewContext;
  placement: 'panel' | 'tab';
  onBack?: () => void;
  onOpenInTab?: (chatId: string) => void;
  onModelChange: (id: string | null) => void;
}): JSX.Element {
  const { context } = props;
  const { model, catalog, preferences, draft, trans } = context;
  useSignals(
    model.changed,
    catalog.changed,
    preferences.changed,
    draft.changed
  );
  const [chosen, setChosen] = useState<string | null>(null);
  const [followToken, setFollowToken] = useState(0);
  const prefs = preferences.values;

  const selected = chooseModel(chosen, context);
  const selectedRef = useRef(selected);
  selectedRef.current = selected;
  useEffect(() => props.onModelChange(selected), [selected]);

  const streamingId = model.streamingId;
  const busy = model.sending || streamingId !== null;
  const disabledReason = whyDisabled(context);

  // With no model to use (none yet, or the list failed), look again now and then: an
  // admin may be connecting one elsewhere, or the server may be back.
  const waitingForModels =
    !model.deleted && (!catalog.loaded || catalog.models.length === 0);
  useEffect(() => {
    if (!waitingForModels) {
      return;
    }
    const timer = window.setInterval(
      () => void catalog.refresh(true),
      NO_MODEL_POLL_MS
    );
    return () => window.clearInterval(timer);
  }, [waitingForModels, catalog]);

  const send = () => {
    const text = draft.text.trim();
    const modelId = selectedRef.current;
    if (!text || !modelId) {
      return;
    }
    const source = draft.source;
    context.history.add(text);
    draft.clear();
    setFollowToken(token => token + 1);
    void model.send(text, modelId, source ?? undefined).then(taken => {
      // Refused (an answer still being written, the server away): what was typed comes
      // back to the input, to be changed or sent again, unless something new is there.
      if (!taken && !draft.text.trim()) {
        draft.fill(text, { source });
      }
    });
  };

  // A command asked for the draft to be sent: do so once a model is ready.
  useEffect(() => {
    if (
      draft.sendRequested &&
      model.loaded &&
      disabledReason === null &&
      !busy &&
      selected
    ) {
      send();
    }
  });

  return (
    <div className="jp-ChatExt-chatViewBody" data-chat-id={model.chatId ?? ''}>
      <header className="jp-ChatExt-chatHeader">
        {props.onBack && (
          <IconButton
            icon={backIcon}
            title={trans.__('Back to the list of chats')}
            label={trans.__('Chats')}
            onClick={props.onBack}
          />
        )}
        <h2 className="jp-ChatExt-chatTitle" title={model.title}>
          {model.title || trans.__('New Chat')}
        </h2>
        {props.onOpenInTab && model.chatId && (
          <IconButton
            icon={launchIcon}
            title={trans.__('Open in a new tab')}
            onClick={() => props.onOpenInTab!(model.chatId!)}
          />
        )}
        <IconButton
          icon={addIcon}
          title={trans.__('New chat')}
          onClick={() =>
            void context.commands.execute(CommandIDs.newChat, {
              where: props.placement
            })
          }
        />
      </header>
      <MessageList
        context={context}
        messages={model.messages}
        busy={busy}
        showUsage={prefs.showUsage}
        selectedModel={selected}
        followToken={followToken}
      >
        <Notices context={context} />
      </MessageList>
      <Composer
        context={context}
        disabledReason={disabledReason}
        streaming={streamingId !== null}
        sending={model.sending}
        sendOnEnter={prefs.sendOnEnter}
        onSend={send}
        onStop={() => void model.stop()}
        selector={
          <ModelSelector
            models={catalog.models}
            connectionErrors={catalog.connectionErrors}
            refreshError={
              catalog.loaded && catalog.error
                ? errorMessage(catalog.error, trans)
                : null
            }
            listedAt={catalog.fetchedAt}
            value={selected}
            defaultModel={prefs.defaultModel}
            disabled={catalog.models.length === 0}
            onChange={setChosen}
            onMakeDefault={id => void preferences.set('defaultModel', id)}
            onOpen={() => void catalog.refresh()}
            trans={trans}
          />
        }
      />
    </div>
  );
}

/** The model to use: the one picked here, else the chat's last, the default, the first. */
function chooseModel(
  chosen: string | null,
  context: IChatViewContext
): string | null {
  const { catalog, model, preferences } = context;
  if (!catalog.loaded) {
    return chosen;
  }
  const candidates = [
    chosen,
    [...model.messages].reverse().find(m => m.role === 'assistant')?.model,
    preferences.values.defaultModel
  ];
  for (const id of candidates) {
    if (catalog.find(id)) {
      return id!;
    }
  }
  return catalog.models[0]?.id ?? null;
}

function whyDisabled(context: IChatViewContext): string | null {
  const { catalog, model, trans } = context;
  if (model.deleted) {
    return trans.__('This chat was deleted.');
  }
  if (!catalog.loaded) {
    return catalog.error
      ? trans.__(
          'Could not load the models: %1',
          errorMessage(catalog.error, trans)
        )
      : trans.__('Loading models…');
  }
  if (catalog.models.length === 0) {
    return Object.keys(catalog.connectionErrors).length > 0
      ? trans.__('No model can be used now.')
      : trans.__('No model is available yet.');
  }
  return null;
}

/** What the message area says besides messages: first run, empty chat, failures. */
function Notices(props: { context: IChatViewContext }): JSX.Element | null {
  const { context } = props;
  const { catalog, model, trans } = context;
  const failure = model.failure;
  return (
    <>
      {model.deleted && (
        <p className="jp-ChatExt-notice" role="status">
          {trans.__('This chat was deleted.')}
        </p>
      )}
      {catalog.loaded && catalog.models.length === 0 && (
        <FirstRun context={context} />
      )}
      {!catalog.loaded && catalog.error && (
        <ModelListFailed context={context} />
      )}
      {model.loaded &&
        !model.deleted &&
        model.messages.length === 0 &&
        catalog.models.length > 0 && (
          <div className="jp-ChatExt-welcome">
            <p>{trans.__('Ask anything.')}</p>
            <p>
              {trans.__(
                'Code in answers can be copied, inserted into the active notebook or run in its kernel.'
              )}
            </p>
          </div>
        )}
      {!model.loaded && (
        <p className="jp-ChatExt-notice">{trans.__('Loading the chat…')}</p>
      )}
      {failure && (
        <div className="jp-ChatExt-failure" role="alert">
          <span>{errorMessage(failure.error, trans)}</span>
          {failure.retry && (
            <button
              type="button"
              className="jp-ChatExt-textButton"
              onClick={() => {
                const retry = failure.retry!;
                model.dismissFailure();
                retry();
              }}
            >
              {trans.__('Retry')}
            </button>
          )}
          <button
            type="button"
            className="jp-ChatExt-textButton"
            onClick={() => model.dismissFailure()}
          >
            {trans.__('Dismiss')}
          </button>
        </div>
      )}
    </>
  );
}
