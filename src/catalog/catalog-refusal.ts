// When a catalog refused a change as invalid, as opposed to failing to apply it: the REST
// catalog answers 400 or 422, or names a validation error type (Iceberg's ValidationException,
// Java's IllegalArgumentException, BadRequestException) with any status. A refusal is final for
// that change: retrying it cannot help, so the records that asked for it become dead letters
// instead of the connector stopping at every restart. Anything else (5xx without such a type,
// timeouts, conflicts) is an outage or a race and is retried as before.
import { RestCatalogError } from './rest-catalog.ts';
import { FloeError } from '../errors.ts';

const REFUSAL_TYPES = /^(ValidationException|IllegalArgumentException|BadRequestException)$/;

/** A change the catalog refused: what it said. */
export class CatalogRefusedError extends FloeError {
  readonly reason = 'catalog-refused';
  constructor(message: string, cause: unknown) {
    super('bad-record', message, { cause });
  }
}

/** The catalog's refusal somewhere in the error's cause chain, or undefined. */
export function catalogRefusal(err: unknown): CatalogRefusedError | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 8 && e instanceof Error; depth++) {
    if (e instanceof RestCatalogError && (e.status === 400 || e.status === 422 || (e.type !== undefined && REFUSAL_TYPES.test(e.type)))) {
      return new CatalogRefusedError(`the catalog refused the schema change: ${e.message}`, err);
    }
    e = e.cause;
  }
  return undefined;
}
