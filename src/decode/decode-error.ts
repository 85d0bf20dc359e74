// Why a record could not be decoded. Every failure on the decode path is one of these, so the
// caller can route the record to the dead-letter topic with a stable reason code.
import { FloeError } from '../errors.ts';

export type DecodeReason =
  /** first byte is not the Confluent magic byte 0 */
  | 'bad-magic'
  /** the frame ends before its header (or a length inside the payload) says it should */
  | 'truncated'
  /** the registry has no schema with this id */
  | 'unknown-schema'
  /** the payload does not decode with its schema (bad varint, bad union index, trailing bytes, bad JSON) */
  | 'invalid-payload'
  /** the payload decoded but fails the schema's validation (JSON Schema) */
  | 'schema-validation'
  /** the schema itself cannot be used (unknown schema type, unparsable schema, unknown message index) */
  | 'unsupported-schema'
  /** the registry could not be reached or answered with a server error (retry, not a dead letter) */
  | 'registry-unavailable';

export class DecodeError extends FloeError {
  readonly reason: DecodeReason;
  readonly schemaId: number | undefined;
  /** The message without the reason prefix. */
  readonly detail: string;

  constructor(reason: DecodeReason, detail: string, options?: { schemaId?: number; cause?: unknown }) {
    super(reason === 'registry-unavailable' ? 'retryable' : 'bad-record', `${reason}: ${detail}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.reason = reason;
    this.detail = detail;
    this.schemaId = options?.schemaId;
  }

  /** The same error, naming the schema id it happened under. */
  withSchemaId(schemaId: number): DecodeError {
    return this.schemaId === schemaId ? this : new DecodeError(this.reason, this.detail, { schemaId, cause: this.cause });
  }
}
