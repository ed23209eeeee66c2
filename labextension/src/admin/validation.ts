/**
 * A form's errors, by field: what the server refused (its 422 message names each bad
 * field as `'params.temperature': Input should be ...`, joined by `; `) or what the
 * browser caught before sending.
 */
export interface IFormErrors {
  /** Field key -> what is wrong with it. */
  fields: Record<string, string>;
  /** What belongs to no field of the form. */
  general: string | null;
}

export const NO_ERRORS: IFormErrors = { fields: {}, general: null };

/** An error about one field, thrown by a form's own checks before sending. */
export class FieldError extends Error {
  constructor(
    readonly field: string,
    message: string
  ) {
    super(message);
  }
}

/**
 * Splits a server error message into the form's fields. `fieldOf` maps a location such
 * as `params.temperature` or `model_ids.0` to a field key of the form, or null when the
 * form has no such field (the part is then said in general).
 */
export function formErrors(
  message: string,
  fieldOf: (location: string) => string | null
): IFormErrors {
  const fields: Record<string, string> = {};
  const general: string[] = [];
  for (const part of message.split('; ')) {
    const located = locate(part);
    const field = located ? fieldOf(located.location) : null;
    if (located && field !== null && !(field in fields)) {
      fields[field] = located.problem;
    } else {
      general.push(part);
    }
  }
  return { fields, general: general.length ? general.join('; ') : null };
}

/**
 * The errors of something a form threw: a field's own, or the server's message (`describe`
 * puts an error that is no message of the server's into words).
 */
export function errorsOf(
  error: unknown,
  fieldOf: (location: string) => string | null,
  describe: (error: unknown) => string
): IFormErrors {
  if (error instanceof FieldError) {
    return { fields: { [error.field]: error.message }, general: null };
  }
  return formErrors(describe(error), fieldOf);
}

function locate(part: string): { location: string; problem: string } | null {
  const invalid = /^'([^']+)': (.*)$/s.exec(part);
  if (invalid) {
    // Pydantic prefixes a validator's own message; the reader needs only the message.
    return {
      location: invalid[1],
      problem: invalid[2].replace(/^Value error, /, '')
    };
  }
  const missing = /^'([^']+)' is required$/.exec(part);
  if (missing) {
    return { location: missing[1], problem: part };
  }
  return null;
}
