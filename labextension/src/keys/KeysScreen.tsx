import { URLExt } from '@jupyterlab/coreutils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import React, { useEffect, useRef, useState } from 'react';

import {
  ConfirmButton,
  CopyButton,
  ErrorNote,
  formatDate,
  Table,
  TextField,
  useLoad
} from '../admin/screen';
import { ApiKeyCreated, ChatApiClient } from '../api/client';
import { errorMessage } from '../errors';

/** The user's API keys: create (shown once), list, revoke; and where to use them. */
export function KeysScreen({
  client,
  trans
}: {
  client: ChatApiClient;
  trans: TranslationBundle;
}): JSX.Element {
  const keys = useLoad(() => client.listApiKeys(), trans);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const baseUrl = client.serverSettings.baseUrl;
  const openaiUrl = URLExt.join(baseUrl, 'chat-ext/openai/v1');
  const ollamaUrl = URLExt.join(baseUrl, 'chat-ext/ollama');
  const form = useRef<HTMLFormElement>(null);
  const newKey = useRef<HTMLDivElement>(null);
  // The key just made is what to do something with: copy it. (The Create button, which had
  // the focus, is disabled until another name is typed.)
  useEffect(() => {
    newKey.current?.querySelector<HTMLElement>('.jp-ChatExt-copy')?.focus();
  }, [created]);

  const create = async (event: React.FormEvent) => {
    event.preventDefault();
    setError(null);
    setBusy(true);
    try {
      setCreated(await client.createApiKey(name.trim()));
      setName('');
      keys.reload();
    } catch (reason) {
      setError(errorMessage(reason, trans));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="jp-ChatExt-keys">
      <header className="jp-ChatExt-screen-header">
        <h1>{trans.__('Chat API Keys')}</h1>
        <p>
          {trans.__(
            'Other programs can use your models through the OpenAI- and Ollama-compatible APIs with a key made here. A key works for those two APIs only, never for your files or kernels.'
          )}
        </p>
      </header>

      <section
        className="jp-ChatExt-section"
        aria-labelledby="jp-ChatExt-urls-h"
      >
        <h2 id="jp-ChatExt-urls-h">{trans.__('Where to point programs')}</h2>
        <UrlRow
          label={trans.__('OpenAI-compatible base URL')}
          url={openaiUrl}
          trans={trans}
        />
        <UrlRow
          label={trans.__('Ollama base URL')}
          url={ollamaUrl}
          trans={trans}
        />
      </section>

      <section
        className="jp-ChatExt-section"
        aria-labelledby="jp-ChatExt-keys-h"
      >
        <h2 id="jp-ChatExt-keys-h">{trans.__('Your keys')}</h2>
        <form
          ref={form}
          className="jp-ChatExt-form jp-ChatExt-keyForm"
          onSubmit={create}
        >
          <TextField
            label={trans.__('Name')}
            className="jp-ChatExt-keyName"
            value={name}
            required
            maxLength={100}
            placeholder={trans.__('What the key is for, e.g. “laptop”')}
            onChange={setName}
          />
          <button
            type="submit"
            className="jp-mod-styled jp-mod-accept jp-ChatExt-createKey"
            disabled={busy || !name.trim()}
          >
            {trans.__('Create key')}
          </button>
        </form>
        <ErrorNote error={error} />
        {created && (
          <div className="jp-ChatExt-newKey" role="status" ref={newKey}>
            <p>
              {trans.__(
                'Your new key “%1”. Copy it now: it will not be shown again.',
                created.name
              )}
            </p>
            <div className="jp-ChatExt-urlRow">
              <code className="jp-ChatExt-secret">{created.key}</code>
              <CopyButton
                text={created.key}
                label={trans.__('Copy the key')}
                trans={trans}
              />
              <Button
                small
                minimal
                className="jp-ChatExt-dismissKey"
                onClick={() => {
                  setCreated(null);
                  // Back where another key is made, rather than lost with the button.
                  form.current?.querySelector('input')?.focus();
                }}
              >
                {trans.__('Done')}
              </Button>
            </div>
          </div>
        )}
        <ErrorNote error={keys.error} />
        {keys.value === undefined && keys.error === null && (
          <p className="jp-ChatExt-status">{trans.__('Loading keys…')}</p>
        )}
        {keys.value?.length === 0 && (
          <p className="jp-ChatExt-empty">{trans.__('No keys yet.')}</p>
        )}
        {keys.value && keys.value.length > 0 && (
          <Table
            className="jp-ChatExt-keyList"
            columns={[
              trans.__('Name'),
              trans.__('Key'),
              trans.__('Created'),
              trans.__('Last used')
            ]}
            trans={trans}
          >
            {keys.value.map(key => (
              <tr key={key.id} data-key-id={key.id}>
                <td className="jp-ChatExt-key-name">{key.name}</td>
                <td className="jp-ChatExt-mono jp-ChatExt-nowrap">
                  {key.prefix}…
                </td>
                <td>{formatDate(key.created_at)}</td>
                <td>{formatDate(key.last_used_at)}</td>
                <td className="jp-ChatExt-rowActions">
                  <ConfirmButton
                    label={trans.__('Revoke')}
                    className="jp-ChatExt-revoke"
                    title={trans.__('Revoke Key')}
                    question={trans.__(
                      'Revoke “%1”? Programs using it stop working at once.',
                      key.name
                    )}
                    action={async () => {
                      // Read again even when refused: it may be gone already.
                      try {
                        await client.revokeApiKey(key.id);
                        if (created?.id === key.id) {
                          setCreated(null);
                        }
                      } finally {
                        keys.reload();
                      }
                    }}
                    onError={setError}
                    trans={trans}
                  />
                </td>
              </tr>
            ))}
          </Table>
        )}
      </section>
    </div>
  );
}

function UrlRow({
  label,
  url,
  trans
}: {
  label: string;
  url: string;
  trans: TranslationBundle;
}): JSX.Element {
  return (
    <div className="jp-ChatExt-urlRow">
      <span className="jp-ChatExt-field-label">{label}</span>
      <code className="jp-ChatExt-url">{url}</code>
      <CopyButton
        text={url}
        label={trans.__('Copy “%1”', label)}
        trans={trans}
      />
    </div>
  );
}
