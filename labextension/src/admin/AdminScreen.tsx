import { TranslationBundle } from '@jupyterlab/translation';
import React, { useState } from 'react';

import { ChatApiClient } from '../api/client';
import { ConnectionsTab } from './connections';
import { PresetsTab } from './presets';
import { ErrorNote, useLoad } from './screen';

type Tab = 'connections' | 'presets';

/** Connections and presets for admins; a user's own presets for everyone else. */
export function AdminScreen({
  client,
  trans,
  onModelsChanged
}: {
  client: ChatApiClient;
  trans: TranslationBundle;
  /** A change here changes the models chats can use. */
  onModelsChanged: () => void;
}): JSX.Element {
  const me = useLoad(() => client.currentUser(), trans);
  const [tab, setTab] = useState<Tab>('connections');

  if (me.error) {
    return <ErrorNote error={me.error} />;
  }
  if (!me.value) {
    return <p className="jp-ChatExt-status">{trans.__('Loading…')}</p>;
  }
  const isAdmin = me.value.role === 'admin';
  const tabs: { id: Tab; label: string }[] = isAdmin
    ? [
        { id: 'connections', label: trans.__('Connections') },
        { id: 'presets', label: trans.__('Presets') }
      ]
    : [{ id: 'presets', label: trans.__('My presets') }];
  const current = isAdmin ? tab : 'presets';

  return (
    <div className="jp-ChatExt-admin">
      <header className="jp-ChatExt-screen-header">
        <h1>{trans.__('Chat Models')}</h1>
        {!isAdmin && (
          <p>
            {trans.__(
              'Connections to model servers are managed by admins. Here you keep presets of your own.'
            )}
          </p>
        )}
      </header>
      <div
        className="jp-ChatExt-tabs"
        role="tablist"
        aria-label={trans.__('Chat models')}
      >
        {tabs.map(({ id, label }) => (
          <button
            key={id}
            role="tab"
            id={`jp-ChatExt-tab-${id}`}
            aria-selected={current === id}
            // One stop in the Tab order: the arrows move between tabs.
            tabIndex={current === id ? 0 : -1}
            aria-controls={`jp-ChatExt-tabpanel-${id}`}
            className={`jp-ChatExt-tab${current === id ? ' jp-mod-active' : ''}`}
            onClick={() => setTab(id)}
            onKeyDown={event => {
              if (event.key === 'ArrowRight' || event.key === 'ArrowLeft') {
                const index = tabs.findIndex(item => item.id === id);
                const step = event.key === 'ArrowRight' ? 1 : -1;
                const next = tabs[(index + step + tabs.length) % tabs.length];
                setTab(next.id);
                document.getElementById(`jp-ChatExt-tab-${next.id}`)?.focus();
              }
            }}
          >
            {label}
          </button>
        ))}
      </div>
      {tabs.map(({ id }) => (
        // Every tab stays in the page, hidden when not chosen, so that a form half filled
        // in on one is still there after a look at the other.
        <div
          key={id}
          role="tabpanel"
          id={`jp-ChatExt-tabpanel-${id}`}
          aria-labelledby={`jp-ChatExt-tab-${id}`}
          hidden={current !== id}
        >
          {id === 'connections' ? (
            <ConnectionsTab
              client={client}
              trans={trans}
              onChanged={onModelsChanged}
            />
          ) : (
            <PresetsTab
              client={client}
              trans={trans}
              isAdmin={isAdmin}
              active={current === id}
              onChanged={onModelsChanged}
            />
          )}
        </div>
      ))}
    </div>
  );
}
