import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import type { components, operations } from './schema';

type Schemas = components['schemas'];

export type ChatSummary = Schemas['ChatSummary'];
export type ChatDetail = Schemas['ChatDetail'];
export type ChatPage = Schemas['ChatPage'];
export type ChatCreate = Schemas['ChatCreate'];
export type ChatEvent = Schemas['Event'];
export type ChatListQuery = NonNullable<
  operations['get_ChatsHandler']['parameters']['query']
>;

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

  private async _request<T>(
    method: string,
    path: string,
    body?: unknown,
    query?: Record<string, string | number | boolean | null | undefined>
  ): Promise<T> {
    let url = URLExt.join(this.serverSettings.baseUrl, API_PATH, path);
    const search = queryString(query);
    if (search) {
      url += `?${search}`;
    }
    // 'no-cache' revalidates every time without the bare timestamp that the default
    // 'no-store' makes ServerConnection append to the query string.
    const init: RequestInit = { method, cache: 'no-cache' };
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
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }
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
