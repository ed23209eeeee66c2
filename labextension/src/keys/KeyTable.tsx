import { TranslationBundle } from '@jupyterlab/translation';
import React from 'react';

import { ConfirmButton, formatDate, Table } from '../admin/screen';
import { ApiKey, OwnedApiKey } from '../api/client';

/**
 * A list of API keys (by their first characters, never whole), each with Revoke, which
 * asks first. With owners, it is every user's keys, as admins see them.
 */
export function KeyTable({
  keys,
  className,
  onRevoke,
  onError,
  trans
}: {
  keys: readonly (ApiKey | OwnedApiKey)[];
  className: string;
  onRevoke: (key: ApiKey) => Promise<void>;
  onError: (message: string | null) => void;
  trans: TranslationBundle;
}): JSX.Element {
  const owned = keys.some(key => 'owner' in key);
  return (
    <Table
      className={`jp-ChatExt-keyList ${className}`}
      columns={[
        ...(owned ? [trans.__('Owner')] : []),
        trans.__('Name'),
        trans.__('Key'),
        trans.__('Created'),
        trans.__('Last used'),
        trans.__('Expires')
      ]}
      trans={trans}
    >
      {keys.map(key => (
        <tr key={key.id} data-key-id={key.id}>
          {'owner' in key && (
            <td className="jp-ChatExt-key-owner">{key.owner}</td>
          )}
          <td className="jp-ChatExt-key-name">{key.name}</td>
          <td className="jp-ChatExt-mono jp-ChatExt-nowrap">{key.prefix}…</td>
          <td>{formatDate(key.created_at)}</td>
          <td>{formatDate(key.last_used_at)}</td>
          <td className="jp-ChatExt-key-expiry">{expiry(key, trans)}</td>
          <td className="jp-ChatExt-rowActions">
            <ConfirmButton
              label={trans.__('Revoke')}
              className="jp-ChatExt-revoke"
              title={trans.__('Revoke Key')}
              question={
                'owner' in key
                  ? trans.__(
                      'Revoke “%1” of %2? Programs using it stop working at once.',
                      key.name,
                      key.owner
                    )
                  : trans.__(
                      'Revoke “%1”? Programs using it stop working at once.',
                      key.name
                    )
              }
              action={() => onRevoke(key)}
              onError={onError}
              trans={trans}
            />
          </td>
        </tr>
      ))}
    </Table>
  );
}

/** When a key stops working, or that it has. */
function expiry(key: ApiKey, trans: TranslationBundle): string {
  if (!key.expires_at) {
    return trans.__('Never');
  }
  return new Date(key.expires_at).getTime() <= Date.now()
    ? trans.__('Expired %1', formatDate(key.expires_at))
    : formatDate(key.expires_at);
}
