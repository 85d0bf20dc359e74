// Errors of schema derivation.
import { FloeError } from '../errors.ts';

/** A source schema (Avro, Protobuf, JSON Schema) has a construct with no Iceberg equivalent. */
export class SchemaConversionError extends FloeError {
  /** Dotted path of the offending field ('' for the root). */
  readonly path: string;
  constructor(path: string, message: string) {
    super('bad-record', path ? `${path}: ${message}` : message);
    this.path = path;
  }
}

/**
 * A schemaless JSON record whose value cannot be merged with the type inferred so far
 * (string vs number, object vs array, ...). The record goes to the dead letters; the
 * inferred schema is unchanged by it.
 */
export class IncompatibleValueError extends FloeError {
  readonly path: string;
  readonly expected: string;
  readonly actual: string;
  constructor(path: string, expected: string, actual: string) {
    super('bad-record', `${path || '(record)'}: value of type ${actual} does not fit ${expected}`);
    this.path = path;
    this.expected = expected;
    this.actual = actual;
  }
}

/** Which rule of schema-rules.ts a schema breaks. */
export type SchemaRule = 'empty-name' | 'case-duplicate' | 'name-collision' | 'too-deep' | 'too-many-columns' | 'reserved-name' | 'renamed-column';

/**
 * A record's schema (inferred, or its writer schema) breaks a rule every table floe writes keeps
 * (schema-rules.ts): the record goes to the dead letters, the table's schema is unchanged.
 */
export class SchemaRuleError extends FloeError {
  /** The rule broken (a closed set, as DecodeError's reason): the dead letter's reason. */
  readonly reason: SchemaRule;
  /** Dotted path of the offending field ('' for the whole schema). */
  readonly path: string;
  constructor(rule: SchemaRule, path: string, message: string) {
    super('bad-record', path ? `${path}: ${message}` : message);
    this.reason = rule;
    this.path = path;
  }
}
