// Errors of schema derivation.

/** A source schema (Avro, Protobuf, JSON Schema) has a construct with no Iceberg equivalent. */
export class SchemaConversionError extends Error {
  /** Dotted path of the offending field ('' for the root). */
  readonly path: string;
  constructor(path: string, message: string) {
    super(path ? `${path}: ${message}` : message);
    this.name = 'SchemaConversionError';
    this.path = path;
  }
}

/**
 * A schemaless JSON record whose value cannot be merged with the type inferred so far
 * (string vs number, object vs array, ...). The record goes to the dead letters; the
 * inferred schema is unchanged by it.
 */
export class IncompatibleValueError extends Error {
  readonly path: string;
  readonly expected: string;
  readonly actual: string;
  constructor(path: string, expected: string, actual: string) {
    super(`${path || '(record)'}: value of type ${actual} does not fit ${expected}`);
    this.name = 'IncompatibleValueError';
    this.path = path;
    this.expected = expected;
    this.actual = actual;
  }
}
