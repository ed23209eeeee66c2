import React, { RefObject, useEffect, useId, useRef, useState } from 'react';

import { CommandIDs } from '../commands';
import { errorMessage } from '../errors';
import { useSignals } from '../hooks';
import { IChatViewContext } from './context';
import { Draft } from './draft';

/**
 * A screen shown in place of a disabled input takes a request for the input's focus (Ask
 * About This Cell): on its first button, else on itself, which a screen reader then reads,
 * rather than the focus falling to the page. The request is made again from there, so
 * that the input takes the focus once it can.
 */
function useFocusRequest(notice: RefObject<HTMLElement>, draft: Draft): void {
  useSignals(draft.changed);
  useEffect(() => {
    const node = notice.current;
    if (
      !node ||
      node.contains(document.activeElement) ||
      !draft.focusRequested
    ) {
      return;
    }
    (node.querySelector<HTMLElement>('button') ?? node).focus();
    draft.requestFocus();
  });
}

/**
 * The screen of a chat with no model to use. A command that asked for the input (Ask
 * About This Cell) finds it disabled: the focus comes here instead, to the button that
 * adds a model (admins) or to these words. The input takes it back once a model is there.
 */
export function FirstRun(props: { context: IChatViewContext }): JSX.Element {
  const { context } = props;
  const { catalog, trans, commands, draft } = context;
  const notice = useRef<HTMLDivElement>(null);
  const ids = `jp-ChatExt-firstRun${useId()}`;
  const errors = Object.entries(catalog.connectionErrors);
  useFocusRequest(notice, draft);
  return (
    <div
      ref={notice}
      className="jp-ChatExt-firstRun"
      role="status"
      tabIndex={-1}
      aria-labelledby={`${ids}-title`}
      aria-describedby={`${ids}-text`}
    >
      {/* Servers that are there but failing want checking, not connecting. */}
      <h3 id={`${ids}-title`}>
        {errors.length > 0
          ? trans.__('No model can be used now')
          : trans.__('No model is available yet')}
      </h3>
      {catalog.isAdmin ? (
        <>
          <p id={`${ids}-text`}>
            {errors.length > 0
              ? trans.__(
                  'The model servers below did not answer, or their models cannot run here. Check them, or connect another server.'
                )
              : trans.__(
                  'Connect an OpenAI-compatible server (such as vLLM, llama.cpp or OpenAI) or Ollama, and its models appear here.'
                )}
          </p>
          {commands.hasCommand(CommandIDs.openAdmin) && (
            <button
              type="button"
              className="jp-ChatExt-primaryButton"
              aria-describedby={`${ids}-title ${ids}-text`}
              onClick={() => void commands.execute(CommandIDs.openAdmin)}
            >
              {errors.length > 0
                ? trans.__('Check the model connections')
                : trans.__('Add a model connection')}
            </button>
          )}
        </>
      ) : (
        <p id={`${ids}-text`}>
          {errors.length > 0
            ? trans.__(
                'The model servers below did not answer, or their models cannot run here: try again later, or ask an administrator.'
              )
            : trans.__(
                'Ask an administrator to connect a model server; its models will appear here.'
              )}
        </p>
      )}
      {errors.length > 0 && (
        <ul className="jp-ChatExt-connectionErrors">
          {errors.map(([name, error]) => (
            <li key={name}>{trans.__('%1: %2', name, error)}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

/**
 * The screen of a chat whose model list could not be fetched (the server away or
 * failing): what went wrong, and Retry. The view also asks again every few seconds, and
 * the input is ready once the list comes; a request for its focus waits on Retry. Only a
 * Retry the user asked for says it is trying and when it failed again: the view's own
 * tries would have this live region speak every few seconds.
 */
export function ModelListFailed(props: {
  context: IChatViewContext;
}): JSX.Element {
  const { context } = props;
  const { catalog, trans, draft } = context;
  const notice = useRef<HTMLDivElement>(null);
  const ids = `jp-ChatExt-modelsFailed${useId()}`;
  const [trying, setTrying] = useState(false);
  const [failedAgainAt, setFailedAgainAt] = useState<Date | null>(null);
  // This screen goes once the list comes, maybe before the try it started ends.
  const mounted = useRef(true);
  useEffect(
    () => () => {
      mounted.current = false;
    },
    []
  );
  useFocusRequest(notice, draft);

  const retry = async () => {
    // This button goes once the list comes: the focus then goes to the input.
    if (notice.current?.contains(document.activeElement)) {
      draft.requestFocus();
    }
    setTrying(true);
    await catalog.refresh(true);
    if (mounted.current) {
      setTrying(false);
      setFailedAgainAt(catalog.error ? new Date() : null);
    }
  };

  return (
    <div
      ref={notice}
      className="jp-ChatExt-firstRun jp-ChatExt-modelsFailed"
      role="status"
      tabIndex={-1}
      aria-labelledby={`${ids}-title`}
      aria-describedby={`${ids}-text`}
    >
      <h3 id={`${ids}-title`}>{trans.__('Could not load the models')}</h3>
      <p id={`${ids}-text`}>
        {catalog.error ? errorMessage(catalog.error, trans) : ''}
      </p>
      {failedAgainAt && !trying && (
        <p className="jp-ChatExt-triedAgain">
          {trans.__(
            'Tried again at %1: it failed again.',
            failedAgainAt.toLocaleTimeString()
          )}
        </p>
      )}
      <button
        type="button"
        className="jp-ChatExt-primaryButton"
        aria-describedby={`${ids}-title ${ids}-text`}
        // Not disabled, which would drop the focus to the page while it tries.
        aria-disabled={trying}
        onClick={() => {
          if (!trying) {
            void retry();
          }
        }}
      >
        {trying ? trans.__('Trying again…') : trans.__('Retry')}
      </button>
    </div>
  );
}
