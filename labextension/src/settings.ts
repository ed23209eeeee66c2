import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ISignal, Signal } from '@lumino/signaling';

/** The user's chat preferences, from JupyterLab's settings registry. */
export interface IChatPreferences {
  /** Model for new chats; empty means the first available. */
  defaultModel: string;
  /** Enter sends and Shift+Enter breaks the line; otherwise Ctrl/Cmd+Enter sends. */
  sendOnEnter: boolean;
  /** Show each answer's token usage and timing. */
  showUsage: boolean;
  /** Load images and media from other sites in answers without asking. */
  loadRemoteImages: boolean;
  /** How long Run waits for a kernel on its way, or a console's session, before giving up. */
  kernelWaitSeconds: number;
}

export const DEFAULT_PREFERENCES: IChatPreferences = {
  defaultModel: '',
  sendOnEnter: true,
  showUsage: true,
  loadRemoteImages: false,
  kernelWaitSeconds: 30
};

/** The preferences as they are now, kept current as the user edits them. */
export class ChatPreferences {
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get values(): Readonly<IChatPreferences> {
    return this._values;
  }

  /** Follows a loaded plugin's settings from now on. */
  attach(settings: ISettingRegistry.ISettings): void {
    this._settings = settings;
    const read = () => {
      const composite = settings.composite as Partial<IChatPreferences>;
      this._values = { ...DEFAULT_PREFERENCES, ...composite };
      this._changed.emit();
    };
    settings.changed.connect(read);
    read();
  }

  /** Changes one preference, saving it to the user's settings when they are loaded. */
  async set<K extends keyof IChatPreferences>(
    key: K,
    value: IChatPreferences[K]
  ): Promise<void> {
    if (this._settings) {
      await this._settings.set(key, value);
    } else {
      this._values = { ...this._values, [key]: value };
      this._changed.emit();
    }
  }

  private _changed = new Signal<this, void>(this);
  private _settings: ISettingRegistry.ISettings | null = null;
  private _values: IChatPreferences = { ...DEFAULT_PREFERENCES };
}
