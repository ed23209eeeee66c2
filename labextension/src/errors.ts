import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';

/**
 * What went wrong, for the reader: a Jupyter server that cannot be reached is said to be
 * one. The browser's own words for it ("Failed to fetch") would read as the model server
 * failing, or as nothing a person can act on.
 */
export function errorMessage(error: unknown, trans: TranslationBundle): string {
  if (error instanceof ServerConnection.NetworkError) {
    return trans.__(
      'The Jupyter server could not be reached (%1). Try again once it is back.',
      error.message
    );
  }
  return error instanceof Error ? error.message : String(error);
}
