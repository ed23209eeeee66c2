import { TranslationBundle } from '@jupyterlab/translation';
import { caretDownIcon, checkIcon } from '@jupyterlab/ui-components';
import React, { useEffect, useId, useMemo, useRef, useState } from 'react';

import { ModelInfo } from '../api/client';

export interface IModelSelectorProps {
  models: readonly ModelInfo[];
  /** Connections whose models could not be listed: name -> error. */
  connectionErrors: Readonly<Record<string, string>>;
  /** Why the list could not be fetched again, when the one shown is an older one. */
  refreshError: string | null;
  /** When the list shown was fetched (ms since the epoch). */
  listedAt: number;
  value: string | null;
  defaultModel: string;
  onChange: (id: string) => void;
  onMakeDefault: (id: string) => void;
  /** Called when the list opens, to fetch it again if it is old. */
  onOpen: () => void;
  disabled?: boolean;
  trans: TranslationBundle;
}

/** Whether a model matches every word of a search, in any of its descriptions. */
export function matchesModel(model: ModelInfo, query: string): boolean {
  const haystack = [
    model.name,
    model.id,
    model.connection_name ?? '',
    model.owned_by,
    model.preset?.description ?? '',
    model.preset ? model.preset.base_model : ''
  ]
    .join('\n')
    .toLowerCase();
  return query
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every(word => haystack.includes(word));
}

/**
 * A button naming the chosen model that opens a searchable list of models and
 * presets: type to filter by name, connection or description, arrows to move,
 * Enter to choose, Escape to close.
 */
export function ModelSelector(props: IModelSelectorProps): JSX.Element {
  const { models, value, trans } = props;
  const [open, setOpen] = useState(false);
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const button = useRef<HTMLButtonElement>(null);
  const popup = useRef<HTMLDivElement>(null);
  const listId = useId();

  const shown = useMemo(
    () => models.filter(model => matchesModel(model, query)),
    [models, query]
  );
  const current = models.find(model => model.id === value);
  // A server that is down lists no models: say so, rather than leave them missing.
  const unavailable = Object.entries(props.connectionErrors);

  useEffect(() => {
    if (!open) {
      return;
    }
    const onPointerDown = (event: PointerEvent) => {
      const target = event.target as Node;
      if (
        !popup.current?.contains(target) &&
        !button.current?.contains(target)
      ) {
        setOpen(false);
      }
    };
    document.addEventListener('pointerdown', onPointerDown, true);
    return () =>
      document.removeEventListener('pointerdown', onPointerDown, true);
  }, [open]);

  const openList = () => {
    props.onOpen();
    setQuery('');
    setActive(Math.max(0, models.indexOf(current!)));
    setOpen(true);
  };

  const close = (focusButton: boolean) => {
    setOpen(false);
    if (focusButton) {
      button.current?.focus();
    }
  };

  const choose = (model: ModelInfo | undefined) => {
    if (model) {
      props.onChange(model.id);
      close(true);
    }
  };

  const onKeyDown = (event: React.KeyboardEvent) => {
    switch (event.key) {
      case 'ArrowDown':
        setActive(index => Math.min(shown.length - 1, index + 1));
        break;
      case 'ArrowUp':
        setActive(index => Math.max(0, index - 1));
        break;
      // Home and End move the cursor in the search text, as in any text box; with Ctrl
      // (Cmd) they go to the first and last model.
      case 'Home':
        if (!(event.ctrlKey || event.metaKey)) {
          return;
        }
        setActive(0);
        break;
      case 'End':
        if (!(event.ctrlKey || event.metaKey)) {
          return;
        }
        setActive(shown.length - 1);
        break;
      case 'Enter':
        choose(shown[active]);
        break;
      case 'Escape':
        close(true);
        break;
      case 'Tab':
        close(false);
        return;
      default:
        return;
    }
    event.preventDefault();
    event.stopPropagation();
  };

  useEffect(() => {
    popup.current
      ?.querySelector(`[data-index="${active}"]`)
      ?.scrollIntoView({ block: 'nearest' });
  }, [active, open]);

  return (
    <div className="jp-ChatExt-modelSelector">
      <button
        ref={button}
        type="button"
        className="jp-ChatExt-modelButton"
        aria-haspopup="listbox"
        aria-expanded={open}
        disabled={props.disabled}
        title={
          current ? modelTitle(current, trans) : trans.__('Choose a model')
        }
        onClick={() => (open ? close(false) : openList())}
      >
        <span className="jp-ChatExt-modelButton-name">
          {current ? current.name : trans.__('Choose a model')}
        </span>
        <caretDownIcon.react tag="span" className="jp-ChatExt-caret" />
      </button>
      {open && (
        <div
          ref={popup}
          className="jp-ChatExt-modelPopup"
          onKeyDown={onKeyDown}
        >
          <input
            className="jp-ChatExt-modelSearch jp-mod-styled"
            type="search"
            role="combobox"
            aria-controls={listId}
            aria-expanded={true}
            aria-activedescendant={
              shown[active] ? `${listId}-${active}` : undefined
            }
            aria-label={trans.__('Search models')}
            placeholder={trans.__('Search models, connections, presets…')}
            autoFocus
            value={query}
            onChange={event => {
              setQuery(event.target.value);
              setActive(0);
            }}
          />
          <ul
            id={listId}
            role="listbox"
            className="jp-ChatExt-modelList"
            aria-label={trans.__('Models')}
          >
            {shown.map((model, index) => (
              <li
                key={model.id}
                id={`${listId}-${index}`}
                data-index={index}
                data-model-id={model.id}
                role="option"
                aria-selected={model.id === value}
                className={
                  'jp-ChatExt-modelOption' +
                  (index === active ? ' jp-mod-active' : '')
                }
                onMouseEnter={() => setActive(index)}
                onClick={() => choose(model)}
              >
                <span className="jp-ChatExt-modelOption-check">
                  {model.id === value && <checkIcon.react tag="span" />}
                </span>
                <span className="jp-ChatExt-modelOption-text">
                  <span className="jp-ChatExt-modelOption-name">
                    {model.name}
                    {model.id === props.defaultModel && (
                      <span className="jp-ChatExt-modelBadge">
                        {trans.__('default')}
                      </span>
                    )}
                    {model.preset && (
                      <span className="jp-ChatExt-modelBadge">
                        {trans.__('preset')}
                      </span>
                    )}
                  </span>
                  <span className="jp-ChatExt-modelOption-detail">
                    {modelDetail(model, trans)}
                  </span>
                </span>
              </li>
            ))}
            {shown.length === 0 && (
              <li className="jp-ChatExt-modelEmpty" role="presentation">
                {trans.__('No model matches “%1”.', query)}
              </li>
            )}
          </ul>
          {(unavailable.length > 0 || props.refreshError) && (
            <ul
              className="jp-ChatExt-modelErrors"
              aria-label={trans.__('Connections not answering')}
            >
              {props.refreshError && (
                <li
                  className="jp-ChatExt-modelsStale"
                  title={props.refreshError}
                >
                  {trans.__(
                    'The models could not be listed again: %1 These are the ones listed at %2.',
                    withStop(props.refreshError),
                    new Date(props.listedAt).toLocaleTimeString()
                  )}
                </li>
              )}
              {unavailable.map(([name, error]) => (
                <li key={name} title={error}>
                  {trans.__('%1 is unavailable: %2', name, error)}
                </li>
              ))}
            </ul>
          )}
          {value && value !== props.defaultModel && (
            <button
              type="button"
              className="jp-ChatExt-textButton jp-ChatExt-makeDefault"
              onClick={() => props.onMakeDefault(value)}
            >
              {trans.__('Use %1 for new chats', current?.name ?? value)}
            </button>
          )}
        </div>
      )}
    </div>
  );
}

/** A message as a sentence that another can follow. */
function withStop(message: string): string {
  return /[.!?]$/.test(message) ? message : `${message}.`;
}

function modelDetail(model: ModelInfo, trans: TranslationBundle): string {
  const parts = [model.connection_name ?? trans.__('no connection')];
  if (model.preset?.description) {
    parts.push(model.preset.description);
  } else if (model.name !== model.id) {
    parts.push(model.id);
  }
  return parts.join(' · ');
}

function modelTitle(model: ModelInfo, trans: TranslationBundle): string {
  return trans.__('Model: %1 (%2)', model.name, modelDetail(model, trans));
}
