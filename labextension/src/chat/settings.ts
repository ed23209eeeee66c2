import type { ChatUpdate } from '../api/client';

/** A chat's own system prompt and parameters, kept in its `meta.settings`. */
export type ChatSettings = NonNullable<ChatUpdate['settings']>;
export type ChatParams = NonNullable<ChatSettings['params']>;

/** The settings in a chat's meta, or null when it has none. */
export function settingsOf(
  meta: Record<string, unknown> | null | undefined
): ChatSettings | null {
  const settings = meta?.settings;
  return settings && typeof settings === 'object'
    ? (settings as ChatSettings)
    : null;
}

/** Whether the settings say anything (an empty set is the same as none). */
export function hasSettings(settings: ChatSettings | null): boolean {
  if (!settings) {
    return false;
  }
  const { options, ...params } = settings.params ?? {};
  return (
    // "" is a setting too: no system prompt at all, not even the model's or preset's.
    (settings.system !== null && settings.system !== undefined) ||
    Object.values(params).some(
      value => value !== null && value !== undefined
    ) ||
    Object.keys(options ?? {}).length > 0
  );
}
