import { TranslationBundle } from '@jupyterlab/translation';
import { HTMLSelect } from '@jupyterlab/ui-components';
import React, { useRef, useState } from 'react';

import { Connection, ConnectionCreate, ConnectionUpdate } from '../api/client';
import { errorMessage } from '../errors';
import {
  ErrorNote,
  Field,
  FormButtons,
  TextField,
  useFormKeyboard,
  useUnsaved
} from './screen';
import { errorsOf, FieldError, IFormErrors, NO_ERRORS } from './validation';

type Kind = ConnectionCreate['kind'];

/** Adds a connection, or edits one; a stored key is never shown, only replaced. */
export function ConnectionForm({
  connection,
  trans,
  onSave,
  onCancel,
  setUnsaved
}: {
  connection: Connection | null;
  trans: TranslationBundle;
  onSave: (body: ConnectionCreate | ConnectionUpdate) => Promise<void>;
  onCancel: () => void;
  setUnsaved: (unsaved: boolean) => void;
}): JSX.Element {
  const [kind, setKind] = useState<Kind | 'local'>(
    connection?.kind ?? 'openai'
  );
  const [name, setName] = useState(connection?.name ?? '');
  const [baseUrl, setBaseUrl] = useState(connection?.base_url ?? '');
  const [apiKey, setApiKey] = useState('');
  const [removeKey, setRemoveKey] = useState(false);
  const [prefix, setPrefix] = useState(connection?.prefix ?? '');
  const [modelIds, setModelIds] = useState(
    (connection?.model_ids ?? []).join(', ')
  );
  const [headers, setHeaders] = useState('');
  const [headersTouched, setHeadersTouched] = useState(false);
  const [enabled, setEnabled] = useState(connection?.enabled ?? true);
  const [errors, setErrors] = useState<IFormErrors>(NO_ERRORS);
  const [saving, setSaving] = useState(false);
  useUnsaved(
    [
      kind,
      name,
      baseUrl,
      apiKey,
      removeKey,
      prefix,
      modelIds,
      headers,
      enabled
    ],
    setUnsaved
  );
  const remote = kind !== 'local';
  // A connection from the server's configuration takes its address and key from there.
  const configured = connection !== null && connection.origin !== 'api';
  const fromConfiguration = trans.__(
    'From the server’s configuration: changed there.'
  );
  const formRef = useRef<HTMLFormElement>(null);
  const onKeyDown = useFormKeyboard(formRef, errors, onCancel);
  const invalid = errors.fields;
  const describe = (error: unknown) => errorMessage(error, trans);

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setErrors(NO_ERRORS);
    let parsedHeaders: Record<string, string>;
    try {
      parsedHeaders = parseHeaders(headers, trans);
    } catch (reason) {
      setErrors(errorsOf(reason, connectionField, describe));
      return;
    }
    const body: ConnectionUpdate & { kind?: Kind } = {
      name: name.trim(),
      prefix: prefix.trim(),
      model_ids: modelIds
        .split(/[\s,]+/)
        .map(id => id.trim())
        .filter(Boolean),
      enabled
    };
    if (!connection) {
      body.kind = kind as Kind;
    }
    // Sent only when changed: a local model's is a model id, which no URL check accepts.
    if (!connection || baseUrl.trim() !== connection.base_url) {
      body.base_url = baseUrl.trim();
    }
    // The key is write-only: left empty, the stored one stays. Ollama takes none (a key
    // typed before switching the type to Ollama stays behind).
    if (removeKey) {
      body.api_key = '';
    } else if (apiKey.trim() && (connection?.kind ?? kind) === 'openai') {
      body.api_key = apiKey.trim();
    }
    if (!connection || headersTouched) {
      body.headers = parsedHeaders;
    }
    setSaving(true);
    try {
      await onSave(body);
    } catch (reason) {
      setErrors(errorsOf(reason, connectionField, describe));
    } finally {
      setSaving(false);
    }
  };

  const storedHeaders = Object.entries(connection?.headers ?? {})
    .map(([key, masked]) => `${key}: ${masked}`)
    .join('\n');

  return (
    <form
      ref={formRef}
      className="jp-ChatExt-form jp-ChatExt-connectionForm"
      onSubmit={submit}
      onKeyDown={onKeyDown}
      aria-label={
        connection ? trans.__('Edit connection') : trans.__('Add connection')
      }
    >
      <h3>
        {connection
          ? trans.__('Edit “%1”', connection.name)
          : trans.__('Add a connection')}
      </h3>
      <div className="jp-ChatExt-form-grid">
        <Field label={trans.__('Type')} error={invalid.kind}>
          <HTMLSelect
            className="jp-ChatExt-kind"
            aria-invalid={invalid.kind ? true : undefined}
            value={kind}
            disabled={connection !== null}
            onChange={event => setKind(event.currentTarget.value as Kind)}
          >
            <option value="openai">{trans.__('OpenAI-compatible')}</option>
            <option value="ollama">{trans.__('Ollama')}</option>
            {kind === 'local' && (
              <option value="local">{trans.__('Local model')}</option>
            )}
          </HTMLSelect>
        </Field>
        <TextField
          label={trans.__('Name')}
          hint={trans.__('Optional: named after its host when left empty.')}
          className="jp-ChatExt-name"
          error={invalid.name}
          value={name}
          onChange={setName}
        />
        <TextField
          label={remote ? trans.__('Base URL') : trans.__('Model')}
          hint={
            configured
              ? fromConfiguration
              : kind === 'ollama'
                ? trans.__('e.g. http://localhost:11434')
                : kind === 'openai'
                  ? trans.__('e.g. https://api.openai.com/v1')
                  : undefined
          }
          className="jp-ChatExt-baseUrl"
          error={invalid.base_url}
          value={baseUrl}
          required
          disabled={configured}
          type={remote ? 'url' : 'text'}
          onChange={setBaseUrl}
        />
        {kind === 'openai' && (
          <TextField
            label={trans.__('API key')}
            hint={
              configured
                ? fromConfiguration
                : connection?.api_key
                  ? trans.__(
                      'Stored: %1. Leave empty to keep it; type a new one to replace it.',
                      connection.api_key
                    )
                  : trans.__('Stored on the server; never shown again.')
            }
            className="jp-ChatExt-apiKey"
            error={invalid.api_key}
            type="password"
            autoComplete="new-password"
            value={apiKey}
            disabled={removeKey || configured}
            placeholder={
              connection?.api_key ? trans.__('Unchanged') : trans.__('Optional')
            }
            onChange={setApiKey}
          />
        )}
        {kind === 'openai' && connection?.api_key && !configured && (
          <label className="jp-ChatExt-check">
            <input
              type="checkbox"
              checked={removeKey}
              onChange={event => setRemoveKey(event.currentTarget.checked)}
            />
            {trans.__('Remove the stored key')}
          </label>
        )}
        {remote && (
          <TextField
            label={trans.__('Model id prefix')}
            hint={trans.__(
              'Optional: prepended to this server’s model ids, to tell servers apart.'
            )}
            className="jp-ChatExt-prefix"
            error={invalid.prefix}
            value={prefix}
            onChange={setPrefix}
          />
        )}
        {remote && (
          <TextField
            label={trans.__('Only these models')}
            hint={trans.__('Model ids separated by commas; empty for all.')}
            className="jp-ChatExt-modelIds"
            error={invalid.model_ids}
            value={modelIds}
            onChange={setModelIds}
          />
        )}
        {remote && (
          <Field
            label={trans.__('Extra headers')}
            error={invalid.headers}
            hint={
              connection && storedHeaders
                ? trans.__(
                    'One “Name: value” a line. Stored: %1. Type here to replace them all.',
                    storedHeaders
                  )
                : trans.__('One “Name: value” a line.')
            }
          >
            <textarea
              className="jp-mod-styled jp-ChatExt-headers"
              aria-invalid={invalid.headers ? true : undefined}
              rows={2}
              value={headers}
              onChange={event => {
                setHeaders(event.currentTarget.value);
                setHeadersTouched(true);
              }}
            />
          </Field>
        )}
        <label className="jp-ChatExt-check">
          <input
            type="checkbox"
            checked={enabled}
            onChange={event => setEnabled(event.currentTarget.checked)}
          />
          {trans.__('Enabled')}
        </label>
      </div>
      <ErrorNote error={errors.general} />
      <FormButtons
        submitLabel={connection ? trans.__('Save') : trans.__('Add')}
        busy={saving}
        onCancel={onCancel}
        trans={trans}
      />
    </form>
  );
}

function parseHeaders(
  text: string,
  trans: TranslationBundle
): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (!line.trim()) {
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) {
      throw new FieldError(
        'headers',
        trans.__('Write each header as “Name: value”, not “%1”.', line.trim())
      );
    }
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return headers;
}

const CONNECTION_FIELDS = new Set([
  'kind',
  'name',
  'base_url',
  'api_key',
  'prefix',
  'model_ids',
  'headers'
]);

/** The form's field for where the server found a problem (`model_ids.2`: the list). */
function connectionField(location: string): string | null {
  const field = location.split('.')[0];
  return CONNECTION_FIELDS.has(field) ? field : null;
}
