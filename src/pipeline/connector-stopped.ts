// The one error a connector stops with. It names the connector and, when a record caused the
// stop, the record's topic, partition and offset: "connector orders stopped at orders[3] offset
// 12345: DecodeError (bad-magic): … [errors.tolerance is none]".
import { FloeError } from '../errors.ts';

/** Where the record that stopped the connector is. */
export interface StoppedAt {
  topic: string;
  partition: number;
  offset: bigint | number | string;
}

export class ConnectorStoppedError extends FloeError {
  readonly connector: string;
  readonly topic: string | undefined;
  readonly partition: number | undefined;
  readonly offset: bigint | undefined;
  /** The class of the error that stopped it, when a record did. */
  readonly errorClass: string | undefined;
  /** That error's short code (a DecodeError's reason), when it has one. */
  readonly reason: string | undefined;

  constructor(connector: string, why: string, options: { at?: StoppedAt; errorClass?: string; reason?: string; cause?: unknown } = {}) {
    const at = options.at;
    super('fatal', `connector ${connector} stopped${at ? ` at ${at.topic}[${at.partition}] offset ${at.offset}` : ''}: ${why}`, { cause: options.cause });
    this.connector = connector;
    this.topic = at?.topic;
    this.partition = at?.partition;
    this.offset = at === undefined ? undefined : BigInt(at.offset);
    this.errorClass = options.errorClass;
    this.reason = options.reason;
  }
}
