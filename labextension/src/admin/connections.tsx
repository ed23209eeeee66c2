import { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import React, { useEffect, useRef, useState } from 'react';

import {
  ChatApiClient,
  Connection,
  ConnectionCreate,
  VerifyResult
} from '../api/client';
import { errorMessage } from '../errors';
import { ConnectionForm } from './connectionForm';
import {
  ConfirmButton,
  ErrorNote,
  formKey,
  ListSection,
  Table,
  useFormTarget,
  useLoad
} from './screen';

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
