import type { ChatDetail, ChatEvent, ChatMessage } from '../api/client';
import type { CompletionEvent } from '../api/sse';
import { IViewMessage, pendingMessage } from './messages';

/*
 * The branch a chat view shows, as an immutable list of messages: each change makes a new
 * list, which the view model keeps and announces.
 */

/** How a completion's messages take their place in the branch when it starts. */
export type Plan =
  | { kind: 'send'; pendingUser: IViewMessage }
  | { kind: 'regenerate'; target: IViewMessage; pendingAnswer: IViewMessage }
  | { kind: 'edit'; pendingUser: IViewMessage; edited: IViewMessage }
  | { kind: 'attach'; messageId: string };

type StartData = Extract<CompletionEvent, { type: 'start' }>['data'];

export function findMessage(
  messages: readonly IViewMessage[],
  id: string
): IViewMessage | undefined {
  return messages.find(message => message.id === id);
}

export function replaceMessage(
  messages: readonly IViewMessage[],
  id: string,
  changes: Partial<IViewMessage>
): IViewMessage[] {
  return messages.map(message =>
    message.id === id ? { ...message, ...changes } : message
  );
}

/** A pending message got its stored id: in itself, its siblings' lists and its replies. */
export function renameMessage(
  messages: readonly IViewMessage[],
  from: string,
  to: string
): IViewMessage[] {
  return messages.map(message => {
    if (message.id !== from && !message.sibling_ids.includes(from)) {
      return message;
    }
    return {
      ...message,
      id: message.id === from ? to : message.id,
      sibling_ids: message.sibling_ids.map(id => (id === from ? to : id)),
      parent_id: message.parent_id === from ? to : message.parent_id
    };
  });
}

export function leafOf(messages: readonly IViewMessage[]): string | null {
  return messages[messages.length - 1]?.id ?? null;
}

/** The last `keep` messages of a chat's branch, and where they start in it. */
export function branchWindow(
  detail: ChatDetail,
  keep: number
): { messages: IViewMessage[]; firstIndex: number } {
  const kept = detail.messages.slice(-keep);
  return {
    firstIndex: detail.first_index + (detail.messages.length - kept.length),
    messages: kept.map(message => ({
      ...message,
      streaming: message.meta?.status === 'streaming'
    }))
  };
}

/**
 * The branch once a completion has started: the pending messages take their stored ids
 * and the answer being written is in place.
 */
export function placeAnswer(
  messages: readonly IViewMessage[],
  plan: Plan,
  data: StartData
): IViewMessage[] {
  const answerId = data.message_id;
  let placed = [...messages];
  let parentId: string | null = null;
  if (plan.kind === 'send' || plan.kind === 'edit') {
    const userId = data.user_message_id ?? plan.pendingUser.id;
    placed = renameMessage(placed, plan.pendingUser.id, userId);
    parentId = userId;
  } else if (plan.kind === 'regenerate') {
    placed = renameMessage(placed, plan.pendingAnswer.id, answerId);
    parentId = plan.target.parent_id;
  }
  if (findMessage(placed, answerId)) {
    placed = replaceMessage(placed, answerId, {
      streaming: true,
      model: data.model
    });
  } else if (plan.kind !== 'attach') {
    const answer: IViewMessage = {
      ...pendingMessage('assistant', '', parentId),
      id: answerId,
      model: data.model,
      sibling_ids: [answerId],
      streaming: true
    };
    placed = [...placed, answer];
  }
  return placed;
}

/** The stored copies of messages shown, in their place. */
export function withStored(
  messages: readonly IViewMessage[],
  stored: readonly ChatMessage[]
): IViewMessage[] {
  let updated = [...messages];
  for (const copy of stored) {
    if (findMessage(updated, copy.id)) {
      updated = replaceMessage(updated, copy.id, { ...copy, streaming: false });
    }
  }
  return updated;
}

/** The chat an event is about: a message event names it, a chat event is it. */
export function chatIdOf(event: ChatEvent): unknown {
  const data = event.data as Record<string, unknown>;
  return event.type.startsWith('message.') ? data.chat_id : data.id;
}

/**
 * A message another tab or the kernel added or changed, in place; null when it belongs
 * to a branch this list does not end with (the branch shown may have changed).
 */
export function withEventMessage(
  messages: readonly IViewMessage[],
  message: IViewMessage,
  added: boolean
): IViewMessage[] | null {
  if (findMessage(messages, message.id)) {
    return replaceMessage(messages, message.id, message);
  }
  if (added && message.parent_id === leafOf(messages)) {
    return [...messages, message];
  }
  return null;
}
