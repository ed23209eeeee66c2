import { InputDialog, showErrorMessage } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import { Menu } from '@lumino/widgets';

import { ChatSummary, ExportFormat } from '../api/client';
import { errorMessage } from '../errors';
import { askText, confirm, download } from './dialogs';
import { IDropped } from './dnd';
import { addEveryChatCommands, EVERY_CHAT } from './everyChat';
import { descendantIds, flattenTree, folderTree } from './grouping';
import { ChatListModel } from './model';

/** Opens a chat (`null`: a new one) in the side panel or in a main-area tab. */
export type OpenChat = (chatId: string | null, where: 'panel' | 'tab') => void;

const ID = {
  open: 'chat-list:open',
  openTab: 'chat-list:open-tab',
  rename: 'chat-list:rename',
  pin: 'chat-list:pin',
  archive: 'chat-list:archive',
  move: 'chat-list:move',
  addTag: 'chat-list:add-tag',
  removeTag: 'chat-list:remove-tag',
  clone: 'chat-list:clone',
  export: 'chat-list:export',
  delete: 'chat-list:delete',
  newChatIn: 'chat-list:new-chat-in-folder',
  newFolder: 'chat-list:new-folder',
  renameFolder: 'chat-list:rename-folder',
  folderToTop: 'chat-list:folder-to-top',
  deleteFolder: 'chat-list:delete-folder'
};

/**
 * Everything a person can do to a chat or folder from the list, with the dialogs it
 * takes, as commands of a registry of the list's own; the menus are built from them.
 */
export class ChatListActions implements IDisposable {
  constructor(
    readonly model: ChatListModel,
    readonly trans: TranslationBundle,
    private readonly _openChat: OpenChat | null
  ) {
    this._addCommands();
    addEveryChatCommands(this._commands, model, trans, (title, action) =>
      this._guard(title, action)
    );
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Opens a chat in the panel; with no `openChat` given, only marks it selected. */
  openChat(chatId: string | null, where: 'panel' | 'tab' = 'panel'): void {
    if (this._openChat) {
      this._openChat(chatId, where);
    }
    if (chatId !== null && where === 'panel') {
      this.model.activeChatId = chatId;
    }
  }

  /** Starts a chat: through `openChat` when there is one, else by creating it here. */
  async newChat(): Promise<void> {
    if (this._openChat) {
      this._openChat(null, 'panel');
      return;
    }
    await this._guard(this.trans.__('Could not create a chat'), () =>
      this.model.createChat()
    );
  }

  /** Files a dropped chat or folder into a folder (`null`: the top level). */
  async drop(item: IDropped, folderId: string | null): Promise<void> {
    const { model } = this;
    await this._guard(this.trans.__('The change could not be made'), () => {
      if (item.kind === 'chat') {
        const chat = model.findChat(item.id);
        return chat && (chat.folder_id ?? null) === folderId
          ? Promise.resolve()
          : model.moveToFolder(item.id, folderId);
      }
      const folder = model.folders.find(known => known.id === item.id);
      const inside =
        folderId !== null &&
        descendantIds(model.folders, item.id).has(folderId);
      if (!folder || inside || folder.parent_id === folderId) {
        return Promise.resolve();
      }
      return model.moveFolder(item.id, folderId);
    });
    if (folderId !== null) {
      model.setExpanded(folderId, true);
    }
  }

  newFolder(parentId: string | null = null): Promise<void> {
    return this._run(ID.newFolder, { parentId });
  }

  /** Asks for a chat's new title (F2 on a chat). */
  renameChat(id: string): Promise<void> {
    return this._run(ID.rename, { id });
  }

  /** Asks to confirm, then deletes a chat (Delete on a chat). */
  deleteChat(id: string): Promise<void> {
    return this._run(ID.delete, { id });
  }

  renameFolder(folderId: string): Promise<void> {
    return this._run(ID.renameFolder, { folderId });
  }

  deleteFolder(folderId: string): Promise<void> {
    return this._run(ID.deleteFolder, { folderId });
  }

  /** Runs one of the every-chat commands (`EVERY_CHAT`), as its menu item would. */
  runEveryChat(command: string): Promise<void> {
    return this._run(command, {});
  }

  /** A list command's label and caption, for a command of the app's that runs it. */
  describe(command: string): { label: string; caption: string } {
    return {
      label: this._commands.label(command),
      caption: this._commands.caption(command)
    };
  }

  /** Opens a chat's menu at a point; focus goes back to `returnFocus` when it closes. */
  openChatMenu(
    chat: ChatSummary,
    x: number,
    y: number,
    returnFocus?: HTMLElement
  ): void {
    this._openMenu(this._chatMenu(chat), x, y, returnFocus);
  }

  openFolderMenu(
    folderId: string,
    x: number,
    y: number,
    returnFocus?: HTMLElement
  ): void {
    this._openMenu(this._folderMenu(folderId), x, y, returnFocus);
  }

  /** The list's own menu (import, download, archive or delete every chat). */
  openListMenu(x: number, y: number, returnFocus?: HTMLElement): void {
    const menu = this._newMenu('jp-ChatExt-listMenu');
    menu.addItem({ command: EVERY_CHAT.importChats });
    menu.addItem({ command: EVERY_CHAT.exportAll });
    menu.addItem({ type: 'separator' });
    menu.addItem({ command: EVERY_CHAT.archiveAll });
    menu.addItem({ command: EVERY_CHAT.deleteAll });
    this._openMenu(menu, x, y, returnFocus);
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._menu?.dispose();
  }

  private _openMenu(
    menu: Menu,
    x: number,
    y: number,
    returnFocus?: HTMLElement
  ): void {
    this._menu?.dispose();
    this._menu = menu;
    menu.aboutToClose.connect(() => {
      returnFocus?.focus();
      // Disposed once the chosen command has started.
      window.setTimeout(() => {
        if (this._menu !== menu) {
          menu.dispose();
        }
      });
    });
    menu.open(x, y);
  }

  private _chatMenu(chat: ChatSummary): Menu {
    const { trans } = this;
    const id = chat.id;
    const menu = this._newMenu('jp-ChatExt-chatMenu');
    if (this._openChat) {
      menu.addItem({ command: ID.open, args: { id } });
      menu.addItem({ command: ID.openTab, args: { id } });
      menu.addItem({ type: 'separator' });
    }
    menu.addItem({ command: ID.rename, args: { id } });
    if (!chat.archived) {
      menu.addItem({ command: ID.pin, args: { id } });
    }

    const move = this._newMenu('jp-ChatExt-moveMenu');
    move.title.label = trans.__('Move to Folder');
    move.addItem({ command: ID.move, args: { id, folderId: null } });
    const folders = flattenTree(folderTree(this.model.folders));
    if (folders.length > 0) {
      move.addItem({ type: 'separator' });
    }
    for (const node of folders) {
      move.addItem({
        command: ID.move,
        args: { id, folderId: node.folder.id, depth: node.depth }
      });
    }
    menu.addItem({ type: 'submenu', submenu: move });

    const tags = this._newMenu('jp-ChatExt-tagMenu');
    tags.title.label = trans.__('Tags');
    tags.addItem({ command: ID.addTag, args: { id } });
    if (chat.tags.length > 0) {
      tags.addItem({ type: 'separator' });
    }
    for (const tag of chat.tags) {
      tags.addItem({ command: ID.removeTag, args: { id, tag } });
    }
    menu.addItem({ type: 'submenu', submenu: tags });

    menu.addItem({ command: ID.clone, args: { id } });
    const exports = this._newMenu('jp-ChatExt-exportMenu');
    exports.title.label = trans.__('Export');
    exports.addItem({ command: ID.export, args: { id, format: 'json' } });
    exports.addItem({ command: ID.export, args: { id, format: 'markdown' } });
    menu.addItem({ type: 'submenu', submenu: exports });
    menu.addItem({ type: 'separator' });
    menu.addItem({ command: ID.archive, args: { id } });
    menu.addItem({ command: ID.delete, args: { id } });
    return menu;
  }

  private _folderMenu(folderId: string): Menu {
    const menu = this._newMenu('jp-ChatExt-folderMenu');
    const args = { folderId };
    menu.addItem({ command: ID.newChatIn, args });
    menu.addItem({ command: ID.newFolder, args: { parentId: folderId } });
    menu.addItem({ type: 'separator' });
    menu.addItem({ command: ID.renameFolder, args });
    const folder = this.model.folders.find(f => f.id === folderId);
    if (folder?.parent_id) {
      menu.addItem({ command: ID.folderToTop, args });
    }
    menu.addItem({ command: ID.deleteFolder, args });
    return menu;
  }

  private _newMenu(className: string): Menu {
    const menu = new Menu({ commands: this._commands });
    menu.addClass(className);
    return menu;
  }

  private _run(
    command: string,
    args: ReadonlyPartialJSONObject
  ): Promise<void> {
    return this._commands.execute(command, args) as Promise<void>;
  }

  /** Runs an action; a failure is shown in a dialog rather than lost. */
  private async _guard(title: string, action: () => Promise<unknown>) {
    try {
      await action();
    } catch (error) {
      await showErrorMessage(title, errorMessage(error, this.trans));
    }
  }

  private _chat(args: ReadonlyPartialJSONObject): ChatSummary | undefined {
    return this.model.findChat(String(args.id));
  }

  private _folderName(args: ReadonlyPartialJSONObject): string {
    const id = args.folderId as string | null;
    return this.model.folders.find(folder => folder.id === id)?.name ?? '';
  }

  private _addCommands(): void {
    const { model, trans } = this;
    const commands = this._commands;
    const failed = trans.__('The change could not be made');
    const chatAction =
      (
        action: (chat: ChatSummary, args: ReadonlyPartialJSONObject) => unknown
      ) =>
      async (args: ReadonlyPartialJSONObject) => {
        const chat = this._chat(args);
        if (chat) {
          await this._guard(failed, async () => action(chat, args));
        }
      };

    commands.addCommand(ID.open, {
      label: trans.__('Open'),
      execute: args => this.openChat(String(args.id), 'panel')
    });
    commands.addCommand(ID.openTab, {
      label: trans.__('Open in New Tab'),
      execute: args => this.openChat(String(args.id), 'tab')
    });
    commands.addCommand(ID.rename, {
      label: trans.__('Rename…'),
      execute: chatAction(async chat => {
        const title = await askText(trans.__('Rename Chat'), chat.title, trans);
        if (title && title !== chat.title) {
          await model.rename(chat.id, title);
        }
      })
    });
    commands.addCommand(ID.pin, {
      label: args =>
        this._chat(args)?.pinned ? trans.__('Unpin') : trans.__('Pin'),
      execute: chatAction(chat =>
        model.updateChat(chat.id, { pinned: !chat.pinned })
      )
    });
    commands.addCommand(ID.archive, {
      label: args =>
        this._chat(args)?.archived
          ? trans.__('Unarchive')
          : trans.__('Archive'),
      execute: chatAction(chat =>
        model.updateChat(chat.id, { archived: !chat.archived })
      )
    });
    commands.addCommand(ID.move, {
      label: args => {
        if (args.folderId === null) {
          return trans.__('Top Level (No Folder)');
        }
        const indent = '\u2003'.repeat(Number(args.depth ?? 0));
        return indent + this._folderName(args);
      },
      isToggled: args =>
        (this._chat(args)?.folder_id ?? null) === (args.folderId ?? null),
      execute: chatAction(async (chat, args) => {
        const folderId = (args.folderId as string | null) ?? null;
        await model.moveToFolder(chat.id, folderId);
        // Open the folder, so that the chat is seen where it went.
        if (folderId !== null) {
          model.setExpanded(folderId, true);
        }
      })
    });
    commands.addCommand(ID.addTag, {
      label: trans.__('Add Tag…'),
      execute: chatAction(async chat => {
        const known = model.tags
          .map(tag => tag.name)
          .filter(name => !chat.tags.includes(name));
        const result = await InputDialog.getItem({
          title: trans.__('Add a Tag to “%1”', chat.title),
          label: trans.__('Tag'),
          items: known,
          editable: true,
          placeholder: trans.__('Tag name'),
          okLabel: trans.__('Add'),
          cancelLabel: trans.__('Cancel')
        });
        const name = result.button.accept ? (result.value ?? '').trim() : '';
        if (name) {
          await model.addTag(chat.id, name);
        }
      })
    });
    commands.addCommand(ID.removeTag, {
      label: args => trans.__('Remove Tag “%1”', String(args.tag)),
      execute: chatAction((chat, args) =>
        model.removeTag(chat.id, String(args.tag))
      )
    });
    commands.addCommand(ID.clone, {
      label: trans.__('Clone'),
      execute: chatAction(async chat => {
        const clone = await model.clone(chat.id);
        // The clone is what the user wants to work on next: shown, and selected in the list.
        if (clone && this._openChat) {
          this.openChat(clone.id, 'panel');
        }
      })
    });
    commands.addCommand(ID.export, {
      label: args =>
        args.format === 'markdown'
          ? trans.__('Markdown (.md)')
          : trans.__('JSON (.json)'),
      execute: chatAction(async (chat, args) => {
        const format = args.format as ExportFormat;
        download(await model.exportChat(chat.id, format));
      })
    });
    commands.addCommand(ID.delete, {
      label: trans.__('Delete…'),
      execute: chatAction(async chat => {
        const confirmed = await confirm(
          trans.__('Delete Chat'),
          trans.__(
            'Delete “%1” and all its messages? This cannot be undone.',
            chat.title
          ),
          trans.__('Delete'),
          trans
        );
        if (confirmed) {
          await model.deleteChat(chat.id);
          if (model.activeChatId === chat.id) {
            model.activeChatId = null;
          }
        }
      })
    });

    commands.addCommand(ID.newChatIn, {
      label: trans.__('New Chat in This Folder'),
      execute: args =>
        this._guard(trans.__('Could not create a chat'), async () => {
          const chat = await model.createChat(String(args.folderId));
          model.setExpanded(String(args.folderId), true);
          this.openChat(chat.id, 'panel');
        })
    });
    commands.addCommand(ID.newFolder, {
      label: args =>
        args.parentId ? trans.__('New Subfolder…') : trans.__('New Folder…'),
      execute: async args => {
        const parentId = (args.parentId as string | null) ?? null;
        const name = await askText(
          parentId ? trans.__('New Subfolder') : trans.__('New Folder'),
          '',
          trans
        );
        if (name) {
          await this._guard(failed, () => model.createFolder(name, parentId));
        }
      }
    });
    commands.addCommand(ID.renameFolder, {
      label: trans.__('Rename…'),
      execute: async args => {
        const current = this._folderName(args);
        const name = await askText(trans.__('Rename Folder'), current, trans);
        if (name && name !== current) {
          await this._guard(failed, () =>
            model.renameFolder(String(args.folderId), name)
          );
        }
      }
    });
    commands.addCommand(ID.folderToTop, {
      label: trans.__('Move to Top Level'),
      execute: args =>
        this._guard(failed, () => model.moveFolder(String(args.folderId), null))
    });
    commands.addCommand(ID.deleteFolder, {
      label: trans.__('Delete…'),
      execute: async args => {
        const confirmed = await confirm(
          trans.__('Delete Folder'),
          trans.__(
            'Delete the folder “%1” and its subfolders? Their chats are kept and move to the top level.',
            this._folderName(args)
          ),
          trans.__('Delete'),
          trans
        );
        if (confirmed) {
          await this._guard(failed, () =>
            model.deleteFolder(String(args.folderId))
          );
        }
      }
    });
  }

  private _commands = new CommandRegistry();
  private _isDisposed = false;
  private _menu: Menu | null = null;
}
