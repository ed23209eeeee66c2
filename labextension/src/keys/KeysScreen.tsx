import { URLExt } from '@jupyterlab/coreutils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Button, HTMLSelect } from '@jupyterlab/ui-components';
import React, { useEffect, useRef, useState } from 'react';

import {
  CopyButton,
  ErrorNote,
  Field,
  formatDate,
  TextField,
  useLoad
} from '../admin/screen';
import { ApiKey, ApiKeyCreated, ChatApiClient } from '../api/client';
import { errorMessage } from '../errors';
import { KeyTable } from './KeyTable';

/** The user's API keys: create (shown once), list, revoke; and where to use them. */
export function KeysScreen({
  client,
  trans
}: {
  client: ChatApiClient;
  trans: TranslationBundle;
}): JSX.Element {
  const keys = useLoad(() => client.listApiKeys(), trans);
  const me = useLoad(() => client.currentUser(), trans);
  const isAdmin = me.value?.role === 'admin';
  const all = useLoad(
    () => (isAdmin ? client.listAllApiKeys() : Promise.resolve(undefined)),
    trans
  );
  const [allError, setAllError] = useState<string | null>(null);
  // Every user's keys are asked for once the user is known to be an admin.
  useEffect(() => {
    if (isAdmin) {
      all.reload();
    }
    // `all` is a new object each render; only the user's role says when to read.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [isAdmin]);
  // Either list may hold a key made or revoked here: read both again.
  const changed = () => {
    keys.reload();
    all.reload();
  };
  const revoking =
    (revoke: (id: string) => Promise<void>) => async (key: ApiKey) => {
      // Read again even when refused: it may be gone already.
      try {
        await revoke(key.id);
        if (created?.id === key.id) {
          setCreated(null);
        }
      } finally {
        changed();
      }
    };
  const [name, setName] = useState('');
  // Days the next key works for; '' until it is revoked.
  const [days, setDays] = useState('');
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
      setCreated(
        await client.createApiKey(name.trim(), days ? Number(days) : null)
      );
      setName('');
      changed();
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
          <Field label={trans.__('Expires')}>
            <HTMLSelect
              className="jp-ChatExt-keyExpiry"
              value={days}
              onChange={event => setDays(event.currentTarget.value)}
            >
              <option value="">{trans.__('Never')}</option>
              <option value="7">{trans.__('In 7 days')}</option>
              <option value="30">{trans.__('In 30 days')}</option>
              <option value="90">{trans.__('In 90 days')}</option>
              <option value="365">{trans.__('In a year')}</option>
            </HTMLSelect>
          </Field>
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
              {created.expires_at
                ? trans.__(
                    'Your new key “%1”, which works until %2. Copy it now: it will not be shown again.',
                    created.name,
                    formatDate(created.expires_at)
                  )
                : trans.__(
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
          <KeyTable
            keys={keys.value}
            className="jp-ChatExt-ownKeys"
            onRevoke={revoking(id => client.revokeApiKey(id))}
            onError={setError}
            trans={trans}
          />
        )}
      </section>
      {isAdmin && (
        <section
          className="jp-ChatExt-section"
          aria-labelledby="jp-ChatExt-allKeys-h"
        >
          <h2 id="jp-ChatExt-allKeys-h">{trans.__('Every user’s keys')}</h2>
          <p>
            {trans.__(
              'As an admin, you can revoke any user’s key: one that leaked, or of someone who left.'
            )}
          </p>
          <ErrorNote error={allError} />
          <ErrorNote error={all.error} />
          {all.value?.length === 0 && (
            <p className="jp-ChatExt-empty">{trans.__('No user has a key.')}</p>
          )}
          {all.value && all.value.length > 0 && (
            <KeyTable
              keys={all.value}
              className="jp-ChatExt-allKeys"
              onRevoke={revoking(id => client.revokeAnyApiKey(id))}
              onError={setAllError}
              trans={trans}
            />
          )}
        </section>
      )}
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
