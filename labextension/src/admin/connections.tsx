import { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import React, { useEffect, useState } from 'react';

import {
  ChatApiClient,
  Connection,
  ConnectionCreate,
  ConnectionUpdate,
  VerifyResult
} from '../api/client';
import {
  ConfirmButton,
  errorMessage,
  ErrorNote,
  Field,
  FormButtons,
  ListSection,
  TableHead,
  TextField,
  useLoad
} from './screen';

type Kind = ConnectionCreate['kind'];
type Verdict = VerifyResult | 'checking' | { failed: string };

/** Model servers: list, add, edit, verify, switch on and off, remove. */
export function ConnectionsTab({
  client,
  trans
}: {
  client: ChatApiClient;
  trans: TranslationBundle;
}): JSX.Element {
  const { value, error, reload } = useLoad(() => client.listConnections());
  const [editing, setEditing] = useState<Connection | 'new' | null>(null);
  const [verdicts, setVerdicts] = useState<Record<string, Verdict>>({});
  const [actionError, setActionError] = useState<string | null>(null);
  // A switch flipped shows at once; the list reloaded after the change confirms it.
  const [switching, setSwitching] = useState<Record<string, boolean>>({});
  useEffect(() => setSwitching({}), [value]);

  const act = async (action: () => Promise<unknown>) => {
    setActionError(null);
    try {
      await action();
      reload();
    } catch (reason) {
      setActionError(errorMessage(reason));
    }
  };

  const verify = async (connection: Connection) => {
    setVerdicts(known => ({ ...known, [connection.id]: 'checking' }));
    let verdict: Verdict;
    try {
      verdict = await client.verifyConnection(connection.id);
    } catch (reason) {
      verdict = { failed: errorMessage(reason) };
    }
    setVerdicts(known => ({ ...known, [connection.id]: verdict }));
  };

  const kindLabel = (kind: Connection['kind']) =>
    kind === 'ollama'
      ? trans.__('Ollama')
      : kind === 'local'
        ? trans.__('Local model')
        : trans.__('OpenAI-compatible');

  return (
    <ListSection
      id="jp-ChatExt-conn-h"
      title={trans.__('Connections')}
      intro={trans.__(
        'The model servers everyone’s chats use. Keys are stored on the server and never shown again in full.'
      )}
      addLabel={trans.__('Add connection')}
      addClass="jp-ChatExt-addConnection"
      onAdd={() => setEditing('new')}
      adding={editing === 'new'}
    >
      {editing !== null && (
        <ConnectionForm
          connection={editing === 'new' ? null : editing}
          trans={trans}
          onCancel={() => setEditing(null)}
          onSave={async body => {
            if (editing === 'new') {
              await client.createConnection(body as ConnectionCreate);
            } else {
              await client.updateConnection(editing.id, body);
            }
            setEditing(null);
            reload();
          }}
        />
      )}
      <ErrorNote error={error ?? actionError} />
      {value === undefined && !error && (
        <p className="jp-ChatExt-status">{trans.__('Loading…')}</p>
      )}
      {value?.length === 0 && (
        <p className="jp-ChatExt-empty">
          {trans.__(
            'No connections yet. Add an OpenAI-compatible server or an Ollama server to start chatting.'
          )}
        </p>
      )}
      {value && value.length > 0 && (
        <table className="jp-ChatExt-table jp-ChatExt-connections">
          <TableHead
            columns={[
              trans.__('Name'),
              trans.__('Type'),
              trans.__('URL'),
              trans.__('Key'),
              trans.__('Enabled'),
              trans.__('Status')
            ]}
            trans={trans}
          />
          <tbody>
            {value.map(connection => (
              <tr key={connection.id} data-connection-id={connection.id}>
                <td className="jp-ChatExt-connection-name">
                  {connection.name}
                  {connection.origin !== 'api' && (
                    <span
                      className="jp-ChatExt-badge"
                      title={trans.__(
                        'From the server’s configuration: it comes back after a restart.'
                      )}
                    >
                      {trans.__('configured')}
                    </span>
                  )}
                </td>
                <td>{kindLabel(connection.kind)}</td>
                <td className="jp-ChatExt-mono">{connection.base_url}</td>
                <td className="jp-ChatExt-mono jp-ChatExt-nowrap">
                  {connection.api_key || '—'}
                </td>
                <td>
                  <input
                    type="checkbox"
                    className="jp-ChatExt-enabled"
                    checked={switching[connection.id] ?? connection.enabled}
                    aria-label={trans.__('Enable “%1”', connection.name)}
                    onChange={event => {
                      const enabled = event.currentTarget.checked;
                      setSwitching(known => ({
                        ...known,
                        [connection.id]: enabled
                      }));
                      void act(() =>
                        client.updateConnection(connection.id, { enabled })
                      );
                    }}
                  />
                </td>
                <td className="jp-ChatExt-verdict" aria-live="polite">
                  <VerdictText
                    verdict={verdicts[connection.id]}
                    trans={trans}
                  />
                </td>
                <td className="jp-ChatExt-rowActions">
                  <Button
                    small
                    minimal
                    className="jp-ChatExt-verify"
                    onClick={() => void verify(connection)}
                    disabled={verdicts[connection.id] === 'checking'}
                  >
                    {trans.__('Verify')}
                  </Button>
                  <Button
                    small
                    minimal
                    className="jp-ChatExt-edit"
                    onClick={() => setEditing(connection)}
                  >
                    {trans.__('Edit')}
                  </Button>
                  <ConfirmButton
                    label={trans.__('Remove')}
                    className="jp-ChatExt-remove"
                    title={trans.__('Remove Connection')}
                    question={trans.__(
                      'Remove “%1”? Its models stop being available.',
                      connection.name
                    )}
                    action={async () => {
                      await client.deleteConnection(connection.id);
                      reload();
                    }}
                    onError={setActionError}
                    trans={trans}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </ListSection>
  );
}

function VerdictText({
  verdict,
  trans
}: {
  verdict: Verdict | undefined;
  trans: TranslationBundle;
}): JSX.Element | null {
  if (verdict === undefined) {
    return null;
  }
  if (verdict === 'checking') {
    return <span>{trans.__('Checking…')}</span>;
  }
  if ('failed' in verdict) {
    return <span className="jp-ChatExt-bad">{verdict.failed}</span>;
  }
  const latency = trans.__('%1 ms', Math.round(verdict.latency_ms));
  if (verdict.ok) {
    return (
      <span className="jp-ChatExt-good">
        {trans._n(
          'Reachable · %2 · %1 model',
          'Reachable · %2 · %1 models',
          verdict.model_count ?? 0,
          latency
        )}
      </span>
    );
  }
  const status = verdict.status ? ` (HTTP ${verdict.status})` : '';
  return (
    <span className="jp-ChatExt-bad">
      {trans.__('Unreachable · %1%2: %3', latency, status, verdict.error ?? '')}
    </span>
  );
}

/** Adds a connection, or edits one; a stored key is never shown, only replaced. */
function ConnectionForm({
  connection,
  trans,
  onSave,
  onCancel
}: {
  connection: Connection | null;
  trans: TranslationBundle;
  onSave: (body: ConnectionCreate | ConnectionUpdate) => Promise<void>;
  onCancel: () => void;
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
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const remote = kind !== 'local';

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setError(null);
    let parsedHeaders: Record<string, string>;
    try {
      parsedHeaders = parseHeaders(headers, trans);
    } catch (reason) {
      setError(errorMessage(reason));
      return;
    }
    const body: ConnectionUpdate & { kind?: Kind } = {
      name: name.trim(),
      base_url: baseUrl.trim(),
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
    // The key is write-only: left empty, the stored one stays.
    if (removeKey) {
      body.api_key = '';
    } else if (apiKey.trim()) {
      body.api_key = apiKey.trim();
    }
    if (!connection || headersTouched) {
      body.headers = parsedHeaders;
    }
    setSaving(true);
    try {
      await onSave(body);
    } catch (reason) {
      setError(errorMessage(reason));
    } finally {
      setSaving(false);
    }
  };

  const storedHeaders = Object.entries(connection?.headers ?? {})
    .map(([key, masked]) => `${key}: ${masked}`)
    .join('\n');

  return (
    <form
      className="jp-ChatExt-form jp-ChatExt-connectionForm"
      onSubmit={submit}
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
        <Field label={trans.__('Type')}>
          <select
            className="jp-mod-styled jp-ChatExt-kind"
            value={kind}
            disabled={connection !== null}
            onChange={event => setKind(event.currentTarget.value as Kind)}
          >
            <option value="openai">{trans.__('OpenAI-compatible')}</option>
            <option value="ollama">{trans.__('Ollama')}</option>
            {kind === 'local' && (
              <option value="local">{trans.__('Local model')}</option>
            )}
          </select>
        </Field>
        <TextField
          label={trans.__('Name')}
          hint={trans.__('Optional: named after its host when left empty.')}
          className="jp-ChatExt-name"
          value={name}
          onChange={setName}
        />
        <TextField
          label={remote ? trans.__('Base URL') : trans.__('Model')}
          hint={
            kind === 'ollama'
              ? trans.__('e.g. http://localhost:11434')
              : kind === 'openai'
                ? trans.__('e.g. https://api.openai.com/v1')
                : undefined
          }
          className="jp-ChatExt-baseUrl"
          value={baseUrl}
          required
          type={remote ? 'url' : 'text'}
          onChange={setBaseUrl}
        />
        {kind === 'openai' && (
          <TextField
            label={trans.__('API key')}
            hint={
              connection?.api_key
                ? trans.__(
                    'Stored: %1. Leave empty to keep it; type a new one to replace it.',
                    connection.api_key
                  )
                : trans.__('Stored on the server; never shown again.')
            }
            className="jp-ChatExt-apiKey"
            type="password"
            autoComplete="new-password"
            value={apiKey}
            disabled={removeKey}
            placeholder={
              connection?.api_key ? trans.__('Unchanged') : trans.__('Optional')
            }
            onChange={setApiKey}
          />
        )}
        {kind === 'openai' && connection?.api_key && (
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
            value={prefix}
            onChange={setPrefix}
          />
        )}
        {remote && (
          <TextField
            label={trans.__('Only these models')}
            hint={trans.__('Model ids separated by commas; empty for all.')}
            className="jp-ChatExt-modelIds"
            value={modelIds}
            onChange={setModelIds}
          />
        )}
        {remote && (
          <Field
            label={trans.__('Extra headers')}
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
      <ErrorNote error={error} />
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
      throw new Error(
        trans.__('Write each header as “Name: value”, not “%1”.', line.trim())
      );
    }
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return headers;
}
