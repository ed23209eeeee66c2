import { TranslationBundle } from '@jupyterlab/translation';
import { Button, HTMLSelect } from '@jupyterlab/ui-components';
import React, { useEffect, useRef, useState } from 'react';

import {
  ChatApiClient,
  Connection,
  ConnectionCreate,
  ConnectionUpdate,
  VerifyResult
} from '../api/client';
import { errorMessage } from '../errors';
import {
  ConfirmButton,
  ErrorNote,
  Field,
  formKey,
  FormButtons,
  ListSection,
  Table,
  TextField,
  useFormKeyboard,
  useFormTarget,
  useLoad,
  useUnsaved
} from './screen';
import { errorsOf, FieldError, IFormErrors, NO_ERRORS } from './validation';

type Kind = ConnectionCreate['kind'];
type Verdict = VerifyResult | 'checking' | { failed: string };

/** Model servers: list, add, edit, verify, switch on and off, remove. */
export function ConnectionsTab({
  client,
  trans,
  onChanged
}: {
  client: ChatApiClient;
  trans: TranslationBundle;
  /** A connection was added, changed or removed. */
  onChanged: () => void;
}): JSX.Element {
  const loaded = useLoad(() => client.listConnections(), trans);
  const { value, error } = loaded;
  const reload = () => {
    loaded.reload();
    onChanged();
  };
  const form = useFormTarget<Connection>(trans);
  const editing = form.target;
  const [verdicts, setVerdicts] = useState<Record<string, Verdict>>({});
  const [actionError, setActionError] = useState<string | null>(null);
  // A switch flipped shows at once; the list reloaded after the change confirms it.
  const [switching, setSwitching] = useState<Record<string, boolean>>({});
  const toggles = useRef<Record<string, Promise<void>>>({});
  useEffect(() => setSwitching({}), [value]);

  // A change refused may be to a connection changed or removed in another tab: the list is
  // read again either way, and a refused switch shows what is stored.
  const toggle = async (id: string, enabled: boolean) => {
    setActionError(null);
    try {
      await client.updateConnection(id, { enabled });
    } catch (reason) {
      setActionError(errorMessage(reason, trans));
      setSwitching(({ [id]: _, ...others }) => others);
    }
    reload();
  };

  const verify = async (connection: Connection) => {
    if (verdicts[connection.id] === 'checking') {
      return;
    }
    setVerdicts(known => ({ ...known, [connection.id]: 'checking' }));
    let verdict: Verdict;
    try {
      verdict = await client.verifyConnection(connection.id);
    } catch (reason) {
      verdict = { failed: errorMessage(reason, trans) };
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
      onAdd={() => void form.open('new')}
      adding={editing === 'new'}
    >
      {editing !== null && (
        <ConnectionForm
          key={formKey(editing)}
          connection={editing === 'new' ? null : editing}
          trans={trans}
          onCancel={form.close}
          setUnsaved={form.setUnsaved}
          onSave={async body => {
            if (editing === 'new') {
              await client.createConnection(body as ConnectionCreate);
            } else {
              await client.updateConnection(editing.id, body);
            }
            form.close();
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
        <Table
          className="jp-ChatExt-connections"
          columns={[
            trans.__('Name'),
            trans.__('Type'),
            trans.__('URL'),
            trans.__('Key'),
            trans.__('Enabled'),
            trans.__('Status')
          ]}
          trans={trans}
        >
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
                    // One change at a time per connection, in the order made: two
                    // quick clicks must leave the server with the last one.
                    const previous =
                      toggles.current[connection.id] ?? Promise.resolve();
                    toggles.current[connection.id] = previous.then(() =>
                      toggle(connection.id, enabled)
                    );
                  }}
                />
              </td>
              <td className="jp-ChatExt-verdict" aria-live="polite">
                <VerdictText verdict={verdicts[connection.id]} trans={trans} />
              </td>
              <td className="jp-ChatExt-rowActions">
                <Button
                  small
                  minimal
                  className="jp-ChatExt-verify"
                  onClick={() => void verify(connection)}
                  // Not `disabled`: that would take the focus from a keyboard user.
                  aria-disabled={verdicts[connection.id] === 'checking'}
                >
                  {trans.__('Verify')}
                </Button>
                <Button
                  small
                  minimal
                  className="jp-ChatExt-edit"
                  onClick={() => void form.open(connection)}
                >
                  {trans.__('Edit')}
                </Button>
                <ConfirmButton
                  label={trans.__('Remove')}
                  className="jp-ChatExt-remove"
                  title={trans.__('Remove Connection')}
                  question={() => removalQuestion(client, connection, trans)}
                  action={async () => {
                    try {
                      await client.deleteConnection(connection.id);
                    } finally {
                      reload();
                    }
                  }}
                  onError={setActionError}
                  trans={trans}
                />
              </td>
            </tr>
          ))}
        </Table>
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
    const missing = verdict.missing ?? [];
    return (
      <>
        <span className="jp-ChatExt-good">
          {trans._n(
            'Reachable · %2 · %1 model',
            'Reachable · %2 · %1 models',
            verdict.model_count ?? 0,
            latency
          )}
        </span>
        {missing.length > 0 && (
          // An allowlisted id the server does not have is most often a typo.
          <span className="jp-ChatExt-bad jp-ChatExt-missing">
            {' · '}
            {trans.__('Not on the server: %1', missing.join(', '))}
          </span>
        )}
      </>
    );
  }
  const said = verdict.error ?? '';
  const code = verdict.status ?? 0;
  // The server's own error most often names its status already.
  const status = code && !said.includes(String(code)) ? ` (HTTP ${code})` : '';
  // Reached but refused (a wrong key, say) is not the same trouble as no answer at all.
  const verdictWord = !code
    ? trans.__('Unreachable')
    : code < 500
      ? trans.__('Refused')
      : trans.__('Failed');
  return (
    <span className="jp-ChatExt-bad">
      {trans.__('%1 · %2%3: %4', verdictWord, latency, status, said)}
    </span>
  );
}

/** Adds a connection, or edits one; a stored key is never shown, only replaced. */
function ConnectionForm({
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

/**
 * What removing a connection takes away: its models, and the presets made from them; and,
 * for one the configuration names, that it comes back.
 */
async function removalQuestion(
  client: ChatApiClient,
  connection: Connection,
  trans: TranslationBundle
): Promise<string> {
  const question = await removedModels(client, connection, trans);
  if (connection.origin === 'api') {
    return question;
  }
  return `${question} ${trans.__(
    'It comes back when the server restarts, as its configuration names it: to keep it off, switch it off instead.'
  )}`;
}

async function removedModels(
  client: ChatApiClient,
  connection: Connection,
  trans: TranslationBundle
): Promise<string> {
  const plain = trans.__(
    'Remove “%1”? Its models stop being available.',
    connection.name
  );
  let presets: string[];
  try {
    const { items } = await client.listModelsAndErrors();
    presets = items
      .filter(m => m.preset && m.connection_id === connection.id)
      .map(m => `“${m.name}”`);
  } catch {
    return plain; // the question is still worth asking without them
  }
  if (!presets.length) {
    return plain;
  }
  return trans.__(
    'Remove “%1”? Its models stop being available, and so do the presets made from them: %2.',
    connection.name,
    presets.join(', ')
  );
}
