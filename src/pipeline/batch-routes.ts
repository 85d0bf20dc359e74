// Where the records of one fetched batch are routed, worked out once per batch. A new table whose
// columns are inferred from plain JSON takes them from every record of the batch bound for it,
// not just the first (one integral amount should not make a column a long). Routing the rest of
// the batch again for each new table cost ~70 ms a table with 24,000-record batches: 7 s before
// 100 field-routed tables existed. Here the batch is routed once, the first time it asks; each
// new table then decodes only its own records.
import type { Router } from '../route/router.ts';
import type { SourceRecord } from './source.ts';
import type { RecordFrame } from '../decode/record-frame.ts';

type Decode = (bytes: Uint8Array) => RecordFrame | Promise<RecordFrame>;

interface Routed {
  /** the batch was routed from this index on */
  from: number;
  /** table name → indexes of the batch's records bound for it, ascending */
  indexes: Map<string, number[]>;
}

export class BatchRoutes {
  readonly #decode: Decode;
  readonly #router: Router;
  /** kept beside the batch, gone with it */
  readonly #routed = new WeakMap<readonly SourceRecord[], Routed>();

  constructor(decode: Decode, router: Router) {
    this.#decode = decode;
    this.#router = router;
  }

  /**
   * The decoded values of the batch's records after `index` bound for `table`, in offset order.
   * A record that does not decode or route is left out: its own turn names the problem.
   */
  async valuesAfter(batch: readonly SourceRecord[], index: number, table: string): Promise<unknown[]> {
    let routed = this.#routed.get(batch);
    if (routed === undefined || routed.from > index + 1) {
      routed = { from: index + 1, indexes: new Map() };
      for (let j = index + 1; j < batch.length; j++) {
        const name = await this.#routeOf(batch[j]);
        if (name === undefined) continue;
        let list = routed.indexes.get(name);
        if (list === undefined) routed.indexes.set(name, (list = []));
        list.push(j);
      }
      this.#routed.set(batch, routed);
    }
    const values: unknown[] = [];
    for (const j of routed.indexes.get(table) ?? []) {
      if (j <= index) continue;
      try {
        values.push((await this.#decode(batch[j].value!)).value);
      } catch {
        // decoded once already: not expected to fail now; left to its own turn all the same
      }
    }
    return values;
  }

  async #routeOf(rec: SourceRecord): Promise<string | undefined> {
    if (rec.value === null) return undefined;
    try {
      return this.#router.tableFor(rec.topic, (await this.#decode(rec.value)).value as Record<string, unknown>);
    } catch {
      return undefined;
    }
  }
}
