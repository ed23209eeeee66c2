import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import type { components, operations } from './schema';
import { CompletionEvent, readCompletionEvents } from './sse';

type Schemas = components['schemas'];

export type ChatSummary = Schemas['ChatSummary'];
export type ChatDetail = Schemas['ChatDetail'];
export type ChatPage = Schemas['ChatPage'];
export type ChatCreate = Schemas['ChatCreate'];
export type ChatEvent = Schemas['Event'];
export type ChatListQuery = NonNullable<
  operations['get_ChatsHandler']['parameters']['query']
>;
export type ChatGetQuery = NonNullable<
  operations['get_ChatHandler']['parameters']['query']
>;
export type ChatTailQuery = NonNullable<
  operations['patch_ChatHandler']['parameters']['query']
>;
export type ChatMessage = Schemas['MessageOut'];
export type MessageUpdate = Schemas['MessageUpdate'];
export type ModelInfo = Schemas['ModelOut'];
export type CompletionRequest = Schemas['CompletionRequest'];
export type CompletionResult = Schemas['CompletionResult'];
export type StopByRequest = Schemas['StopByRequest'];
export type RunningList = Schemas['RunningList'];

// Chat list, folders, tags, administration and API keys.
export type ChatUpdate = Schemas['ChatUpdate'];
export type Folder = Schemas['FolderOut'];
export type FolderCreate = Schemas['FolderCreate'];
export type FolderUpdate = Schemas['FolderUpdate'];
export type TagCount = Schemas['TagOut'];
export type CurrentUser = Schemas['UserOut'];
export type Connection = Schemas['ConnectionOut'];
export type ConnectionCreate = Schemas['ConnectionCreate'];
export type ConnectionUpdate = Schemas['ConnectionUpdate'];
export type VerifyResult = Schemas['VerifyResult'];
export type Preset = Schemas['PresetOut'];
export type PresetCreate = Schemas['PresetCreate'];
export type PresetUpdate = Schemas['PresetUpdate'];
export type ModelList = Schemas['ModelList'];
export type ApiKey = Schemas['KeyOut'];
export type ApiKeyCreated = Schemas['KeyCreated'];
export type OwnedApiKey = Schemas['OwnedKeyOut'];
export type ImportResult = Schemas['ImportResult'];
export type ImportCheck = Schemas['ImportCheck'];
export type Count = Schemas['Count'];
export type ExportFormat = 'json' | 'markdown';

/** A file the server sent for download. */
export interface IDownload {
  filename: string;
  blob: Blob;
}

/** Where the REST API is mounted, relative to the server's base URL. */
export const API_PATH = 'chat-ext/api';

/**
 * The one place the front end talks HTTP to the server extension.
 *
 * Requests go through `ServerConnection.makeRequest` so that they carry the same
 * token, XSRF cookie and base URL as JupyterLab's own calls, on JupyterHub too.
 */
export class ChatApiClient {
  constructor(readonly serverSettings: ServerConnection.ISettings) {}

  listChats(query: ChatListQuery = {}): Promise<ChatPage> {
    return this._request<ChatPage>('GET', 'chats', undefined, query);
  }

  createChat(body: ChatCreate = {}): Promise<ChatDetail> {
    return this._request<ChatDetail>('POST', 'chats', body);
  }

  // ---- Chat list, folders and tags -------------------------------------------

  /** Changes a chat; it comes back with its whole branch, or the branch's `tail`. */
  updateChat(
    chatId: string,
    body: ChatUpdate,
    query: ChatTailQuery = {}
  ): Promise<ChatDetail> {
    return this._request<ChatDetail>('PATCH', chatPath(chatId), body, query);
  }

  deleteChat(chatId: string): Promise<void> {
    return this._request<void>('DELETE', chatPath(chatId));
  }

  cloneChat(chatId: string, title?: string): Promise<ChatDetail> {
    return this._request<ChatDetail>('POST', chatPath(chatId, 'clone'), {
      title
    });
  }

  addTag(chatId: string, name: string): Promise<ChatDetail> {
    return this._request<ChatDetail>('POST', chatPath(chatId, 'tags'), {
      name
    });
  }

  removeTag(chatId: string, name: string): Promise<ChatDetail> {
    const path = chatPath(chatId, 'tags', encodeURIComponent(name));
    return this._request<ChatDetail>('DELETE', path);
  }

  async exportChat(chatId: string, format: ExportFormat): Promise<IDownload> {
    const path = chatPath(chatId, 'export');
    const response = await this._fetch('GET', path, undefined, { format });
    const fallback = `chat.${format === 'markdown' ? 'md' : 'json'}`;
    return {
      filename: attachmentName(response, fallback),
      blob: await response.blob()
    };
  }

  /** Every chat, every branch, as the server's JSON export (a download). */
  async exportAllChats(): Promise<IDownload> {
    const response = await this._fetch('GET', 'chats/export');
    return {
      filename: attachmentName(response, 'chats.json'),
      blob: await response.blob()
    };
  }

  /** Imports chats: a jupyter-chat-ext export, or an Open WebUI chat export. */
  importChats(document: unknown): Promise<ImportResult> {
    return this._request<ImportResult>('POST', 'chats/import', document);
  }

  /** Refuses `document` as an import would, storing nothing. */
  checkImport(document: unknown): Promise<ImportCheck> {
    return this._request<ImportCheck>('POST', 'chats/import/check', document);
  }

  archiveAllChats(): Promise<Count> {
    return this._request<Count>('POST', 'chats/archive-all');
  }

  deleteAllChats(): Promise<Count> {
    return this._request<Count>('POST', 'chats/delete-all', {
      confirm: 'delete all chats'
    });
  }

  listTags(): Promise<TagCount[]> {
    return this._items<TagCount>('tags');
  }

  listFolders(): Promise<Folder[]> {
    return this._items<Folder>('folders');
  }

  createFolder(body: FolderCreate): Promise<Folder> {
    return this._request<Folder>('POST', 'folders', body);
  }

  updateFolder(folderId: string, body: FolderUpdate): Promise<Folder> {
    const path = `folders/${encodeURIComponent(folderId)}`;
    return this._request<Folder>('PATCH', path, body);
  }

  deleteFolder(folderId: string): Promise<void> {
    const path = `folders/${encodeURIComponent(folderId)}`;
    return this._request<void>('DELETE', path);
  }

  // ---- Administration: the current user, connections, presets, models ----------

  currentUser(): Promise<CurrentUser> {
    return this._request<CurrentUser>('GET', 'users/me');
  }

  listConnections(): Promise<Connection[]> {
    return this._items<Connection>('connections');
  }

  createConnection(body: ConnectionCreate): Promise<Connection> {
    return this._request<Connection>('POST', 'connections', body);
  }

  updateConnection(id: string, body: ConnectionUpdate): Promise<Connection> {
    const path = `connections/${encodeURIComponent(id)}`;
    return this._request<Connection>('PATCH', path, body);
  }

  deleteConnection(id: string): Promise<void> {
    const path = `connections/${encodeURIComponent(id)}`;
    return this._request<void>('DELETE', path);
  }

  verifyConnection(id: string): Promise<VerifyResult> {
    const path = `connections/${encodeURIComponent(id)}/verify`;
    return this._request<VerifyResult>('POST', path);
  }

  listModelsAndErrors(): Promise<ModelList> {
    return this._request<ModelList>('GET', 'models');
  }

  listPresets(): Promise<Preset[]> {
    return this._items<Preset>('presets');
  }

  createPreset(body: PresetCreate): Promise<Preset> {
    return this._request<Preset>('POST', 'presets', body);
  }

  updatePreset(id: string, body: PresetUpdate): Promise<Preset> {
    const path = `presets/${encodeURIComponent(id)}`;
    return this._request<Preset>('PATCH', path, body);
  }

  deletePreset(id: string): Promise<void> {
    const path = `presets/${encodeURIComponent(id)}`;
    return this._request<void>('DELETE', path);
  }

  // ---- The user's API keys ------------------------------------------------------

  listApiKeys(): Promise<ApiKey[]> {
    return this._items<ApiKey>('users/me/keys');
  }

  /** A new key, working for `expiresInDays` days, or until revoked (null). */
  createApiKey(
    name: string,
    expiresInDays: number | null = null
  ): Promise<ApiKeyCreated> {
    return this._request<ApiKeyCreated>('POST', 'users/me/keys', {
      name,
      ...(expiresInDays === null ? {} : { expires_in_days: expiresInDays })
    });
  }

  revokeApiKey(id: string): Promise<void> {
    const path = `users/me/keys/${encodeURIComponent(id)}`;
    return this._request<void>('DELETE', path);
  }

  /** Every user's keys, with their owners (admins). */
  listAllApiKeys(): Promise<OwnedApiKey[]> {
    return this._items<OwnedApiKey>('keys');
  }

  /** Revoke any user's key (admins). */
  revokeAnyApiKey(id: string): Promise<void> {
    return this._request<void>('DELETE', `keys/${encodeURIComponent(id)}`);
  }

  // ---- The chat view: one chat's branch, its messages and its answers -----------

  getChat(chatId: string, query: ChatGetQuery = {}): Promise<ChatDetail> {
    return this._request<ChatDetail>('GET', chatPath(chatId), undefined, query);
  }

  updateMessage(
    chatId: string,
    messageId: string,
    body: MessageUpdate
  ): Promise<ChatMessage> {
    const path = chatPath(chatId, 'messages', encodeURIComponent(messageId));
    return this._request<ChatMessage>('PATCH', path, body);
  }

  /** The current user's answers being written now, in any tab. */
  listRunning(): Promise<RunningList> {
    return this._request<RunningList>('GET', 'chat/completions');
  }

  /** Asks a model; yields the answer's Server-Sent Events as they arrive. */
  async *complete(
    body: CompletionRequest,
    signal?: AbortSignal
  ): AsyncGenerator<CompletionEvent> {
    const path = 'chat/completions';
    const response = await this._fetch('POST', path, body, undefined, signal);
    yield* readCompletionEvents(response);
  }

  /** Follows an answer being written: its text so far, then what follows. */
  async *attach(
    messageId: string,
    signal?: AbortSignal
  ): AsyncGenerator<CompletionEvent> {
    const path = `chat/completions/${encodeURIComponent(messageId)}/stream`;
    const response = await this._fetch(
      'GET',
      path,
      undefined,
      undefined,
      signal
    );
    yield* readCompletionEvents(response);
  }

  stopCompletion(messageId: string): Promise<CompletionResult> {
    const path = `chat/completions/${encodeURIComponent(messageId)}/stop`;
    return this._request<CompletionResult>('POST', path);
  }

  /**
   * Stops the answer asked for under `requestId` (the request's own name), even before the
   * server has begun it: it is then stopped as it begins.
   */
  stopRequest(requestId: string): Promise<StopByRequest> {
    const path = `chat/completions/requests/${encodeURIComponent(requestId)}/stop`;
    return this._request<StopByRequest>('POST', path);
  }

  /** A list route's `items`. */
  private async _items<T>(path: string): Promise<T[]> {
    return (await this._request<{ items: T[] }>('GET', path)).items;
  }

  private async _request<T>(
    method: string,
    path: string,
    body?: unknown,
    query?: Record<string, string | number | boolean | null | undefined>
  ): Promise<T> {
    const response = await this._fetch(method, path, body, query);
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  private async _fetch(
    method: string,
    path: string,
    body?: unknown,
    query?: Record<string, string | number | boolean | null | undefined>,
    signal?: AbortSignal
  ): Promise<Response> {
    let url = URLExt.join(this.serverSettings.baseUrl, API_PATH, path);
    const search = queryString(query);
    if (search) {
      url += `?${search}`;
    }
    // 'no-cache' revalidates every time without the bare timestamp that the default
    // 'no-store' makes ServerConnection append to the query string.
    const init: RequestInit = { method, cache: 'no-cache', signal };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { 'Content-Type': 'application/json' };
    }
    const response = await ServerConnection.makeRequest(
      url,
      init,
      this.serverSettings
    );
    if (!response.ok) {
      throw await ServerConnection.ResponseError.create(response);
    }
    return response;
  }
}

function chatPath(chatId: string, ...rest: string[]): string {
  return ['chats', encodeURIComponent(chatId), ...rest].join('/');
}

/** The file name a `Content-Disposition: attachment; filename="..."` header gives. */
function attachmentName(response: Response, fallback: string): string {
  const header = response.headers.get('Content-Disposition') ?? '';
  const match = /filename="([^"]+)"/.exec(header);
  return match ? match[1] : fallback;
}

function queryString(
  query: Record<string, string | number | boolean | null | undefined> = {}
): string {
  // Unset filters are left out rather than sent as "null", which the server
  // would read as a value.
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null) {
      params.set(key, String(value));
    }
  }
  return params.toString();
}
