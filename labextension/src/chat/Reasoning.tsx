import React, { useEffect, useState } from 'react';

import { IChatViewContext } from './context';
import { IViewMessage } from './messages';

/**
 * What a reasoning model thought before its answer, folded away under a summary that
 * says it is thinking (while no answer has come yet) or for how long it thought.
 */
export function Reasoning(props: {
  message: IViewMessage;
  context: IChatViewContext;
}): JSX.Element | null {
  const { message, context } = props;
  const { model, trans } = context;
  const read = () => ({
    text: model.reasoningOf(message),
    answering: model.textOf(message) !== ''
  });
  const [shown, setShown] = useState(read);

  useEffect(() => {
    setShown(read());
    if (!message.streaming) {
      return;
    }
    const onText = (_: unknown, id: string) => {
      if (id === message.id) {
        setShown(read());
      }
    };
    model.textChanged.connect(onText);
    return () => {
      model.textChanged.disconnect(onText);
    };
  }, [message, context]);

  if (!shown.text) {
    return null;
  }
  const ms = message.meta?.reasoning_ms;
  let summary: string;
  if (message.streaming && !shown.answering) {
    summary = trans.__('Thinking…');
  } else if (typeof ms === 'number' && !message.streaming) {
    const seconds = Math.max(1, Math.round(ms / 1000));
    summary = trans._n(
      'Thought for %1 second',
      'Thought for %1 seconds',
      seconds
    );
  } else {
    summary = trans.__('Thoughts');
  }
  return (
    <details className="jp-ChatExt-reasoning">
      <summary>{summary}</summary>
      <div className="jp-ChatExt-reasoningText">{shown.text}</div>
    </details>
  );
}
