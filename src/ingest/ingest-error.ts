// An append request refused with an HTTP status: too large (413), too many at once (429, with
// Retry-After), not allowed (401/403), bad rows (400, with each row's index and reason).
// Its kind says whether the caller should send it again unchanged (retryable) or not (bad-record).
import { FloeError } from '../errors.ts';
import type { ErrorKind } from '../errors.ts';
import type { RowProblem } from './request-body.ts';

export class IngestError extends FloeError {
  readonly status: number;
  /** Seconds, for 429 and 503. */
  readonly retryAfter: number | undefined;
  /** The bad rows, for 400. */
  readonly rows: RowProblem[] | undefined;
  constructor(status: number, kind: ErrorKind, message: string, options: { retryAfter?: number; rows?: RowProblem[]; cause?: unknown } = {}) {
    super(kind, message, { cause: options.cause });
    this.status = status;
    this.retryAfter = options.retryAfter;
    this.rows = options.rows;
  }
}
