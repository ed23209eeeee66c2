import { TranslationBundle } from '@jupyterlab/translation';

import { FieldError } from './admin/validation';
import type { PresetCreate } from './api/client';

/** Sampling parameters, as presets and chat settings keep them. */
export type Params = NonNullable<PresetCreate['params']>;

/**
 * The parameters with a number field of their own: name, min, max and whether it is a whole
 * number (as the server checks).
 */
export const NUMBER_PARAMS = [
  ['temperature', 0, 2, false],
  ['top_p', 0, 1, false],
  ['top_k', 1, undefined, true],
  ['max_tokens', 1, 1_000_000, true],
  ['seed', undefined, undefined, true]
] as const;
export type NumberParam = (typeof NUMBER_PARAMS)[number][0];

/** Parameters as typed in a form: numbers, stop sequences and other options (JSON). */
export interface IParamsText {
  numbers: Record<NumberParam, string>;
  /**
   * Separated by commas, on one line (a text input drops line breaks): `\n` is a line
   * break, `\t` a tab, `\,` a comma and `\\` a backslash within a sequence.
   */
  stop: string;
  /** A JSON object of any other upstream option. */
  other: string;
}

export function paramLabel(key: NumberParam, trans: TranslationBundle): string {
  switch (key) {
    case 'temperature':
      return trans.__('Temperature');
    case 'top_p':
      return trans.__('Top P');
    case 'top_k':
      return trans.__('Top K');
    case 'max_tokens':
      return trans.__('Max tokens');
    case 'seed':
      return trans.__('Seed');
  }
}

/** The names of the parameters with a number field of their own. */
export const NUMBER_NAMES: readonly string[] = NUMBER_PARAMS.map(
  ([key]) => key
);

/**
 * The form's text for stored parameters (empty fields for those not set). Any other option,
 * whether kept under `options` or beside the named parameters, goes in "other".
 */
export function paramsText(params: Params | null | undefined): IParamsText {
  const { options, stop, ...rest } = (params ?? {}) as Record<string, unknown>;
  const numbers = Object.fromEntries(
    NUMBER_PARAMS.map(([key]) => {
      const value = rest[key];
      return [key, typeof value === 'number' ? String(value) : ''];
    })
  ) as Record<NumberParam, string>;
  const others = {
    ...(options as Record<string, unknown> | undefined),
    ...Object.fromEntries(
      Object.entries(rest).filter(
        ([key, value]) =>
          !NUMBER_NAMES.includes(key) && value !== null && value !== undefined
      )
    )
  };
  return {
    numbers,
    stop: (Array.isArray(stop) ? stop : stop ? [String(stop)] : [])
      .map(escapeStop)
      .join(', '),
    other: Object.keys(others).length ? JSON.stringify(others, null, 2) : ''
  };
}

/** Parameters from the form's text; throws a FieldError that says where and what is wrong. */
export function paramsFrom(
  text: IParamsText,
  trans: TranslationBundle
): Params {
  let options: unknown = {};
  if (text.other.trim()) {
    try {
      options = JSON.parse(text.other);
    } catch {
      options = null;
    }
    if (!options || typeof options !== 'object' || Array.isArray(options)) {
      throw new FieldError(
        'other',
        trans.__('Other options must be a JSON object.')
      );
    }
  }
  const params: Record<string, unknown> = { options };
  for (const [key, , , whole] of NUMBER_PARAMS) {
    const typed = text.numbers[key].trim();
    if (typed) {
      const value = Number(typed);
      if (!Number.isFinite(value)) {
        throw new FieldError(
          key,
          trans.__('%1 must be a number.', paramLabel(key, trans))
        );
      }
      if (whole && !Number.isInteger(value)) {
        throw new FieldError(
          key,
          trans.__('%1 must be a whole number.', paramLabel(key, trans))
        );
      }
      params[key] = value;
    }
  }
  const stops = splitStops(text.stop);
  if (stops.length) {
    params.stop = stops;
  }
  return params as Params;
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t' };

/** A stop sequence as the form shows it: on one line, its commas kept apart. */
function escapeStop(stop: string): string {
  return stop
    .replace(/\\/g, '\\\\')
    .replace(/,/g, '\\,')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t');
}

/** The stop sequences typed in a form (see `IParamsText.stop`). */
function splitStops(text: string): string[] {
  const stops: string[] = [];
  let current = '';
  // Blanks typed around a sequence are not part of it; escaped ones are.
  let kept = 0;
  const end = () => {
    const stop = current.slice(0, Math.max(kept, current.trimEnd().length));
    if (stop) {
      stops.push(stop);
    }
    current = '';
    kept = 0;
  };
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '\\' && i + 1 < text.length) {
      const next = text[++i];
      current += ESCAPES[next] ?? next;
      kept = current.length;
    } else if (char === ',') {
      end();
    } else if (current || char.trim()) {
      current += char;
    }
  }
  end();
  return stops;
}
