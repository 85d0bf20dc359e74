import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convertBatches, type RawRecordBatch, type RawRecord } from '../../src/kafka/fetched-records.ts';
import { tpFromKey, tpKey } from '../../src/kafka/types.ts';

const enc = new TextEncoder();

function rec(offsetDelta: number, value: string, headers: [string, string | null][] = []): RawRecord {
  return {
    timestampDelta: BigInt(offsetDelta * 10),
    offsetDelta,
    key: enc.encode(`k${offsetDelta}`),
    value: enc.encode(value),
    headers: headers.map(([k, v]) => [enc.encode(k), v === null ? null : enc.encode(v)]),
  };
}

function batch(firstOffset: bigint, n: number, opts: { attributes?: number; producerId?: bigint; prefix?: string } = {}): RawRecordBatch {
  const records = Array.from({ length: n }, (_, i) => rec(i, `${opts.prefix ?? 'v'}${firstOffset + BigInt(i)}`));
  return {
    firstOffset,
    firstTimestamp: 1000n,
    maxTimestamp: 1000n + BigInt((n - 1) * 10),
    attributes: opts.attributes ?? 0,
    lastOffsetDelta: n - 1,
    producerId: opts.producerId ?? -1n,
    records,
  };
}

function marker(offset: bigint, producerId: bigint, commit: boolean): RawRecordBatch {
  return {
    firstOffset: offset,
    firstTimestamp: 5000n,
    maxTimestamp: 5000n,
    attributes: 0x10 | 0x20,
    lastOffsetDelta: 0,
    producerId,
    // control record key: version int16 = 0, type int16 (0 abort, 1 commit)
    records: [{ timestampDelta: 0n, offsetDelta: 0, key: new Uint8Array([0, 0, 0, commit ? 1 : 0]), value: new Uint8Array(6), headers: [] }],
  };
}

const values = (r: { records: { value: Uint8Array | null }[] }) => r.records.map((x) => new TextDecoder().decode(x.value!));

test('records before the fetch offset are dropped; offsets, timestamps, headers come through', () => {
  const r = convertBatches('t', 3, 12n, [batch(10n, 5)], null);
  assert.deepEqual(values(r), ['v12', 'v13', 'v14']);
  assert.deepEqual(
    r.records.map((x) => x.offset),
    [12n, 13n, 14n],
  );
  assert.equal(r.records[0]!.topic, 't');
  assert.equal(r.records[0]!.partition, 3);
  assert.equal(r.records[0]!.timestamp, 1020); // firstTimestamp + delta of record 2
  assert.equal(r.nextOffset, 15n);
  const h = convertBatches(
    't',
    0,
    0n,
    [
      {
        ...batch(0n, 1),
        records: [
          rec(0, 'x', [
            ['a', '1'],
            ['b', null],
          ]),
        ],
      },
    ],
    null,
  );
  assert.deepEqual(h.records[0]!.headers, [
    ['a', enc.encode('1')],
    ['b', null],
  ]);
});

test('log-append-time batches stamp every record with the batch max timestamp', () => {
  const r = convertBatches('t', 0, 0n, [batch(0n, 3, { attributes: 0x08 })], null);
  assert.deepEqual(
    r.records.map((x) => x.timestamp),
    [1020, 1020, 1020],
  );
});

test('a batch wholly before the fetch offset is skipped and does not move nextOffset back', () => {
  const r = convertBatches('t', 0, 20n, [batch(10n, 5), batch(20n, 2)], null);
  assert.deepEqual(values(r), ['v20', 'v21']);
  assert.equal(r.nextOffset, 22n);
  const empty = convertBatches('t', 0, 20n, [], null);
  assert.equal(empty.nextOffset, 20n);
  assert.equal(empty.records.length, 0);
});

test('control batches are skipped but advance nextOffset; committed transactions are kept', () => {
  const r = convertBatches('t', 0, 0n, [batch(0n, 2, { attributes: 0x10, producerId: 7n }), marker(2n, 7n, true), batch(3n, 1)], []);
  assert.deepEqual(values(r), ['v0', 'v1', 'v3']);
  assert.equal(r.nextOffset, 4n);
  const onlyMarker = convertBatches('t', 0, 2n, [marker(2n, 7n, true)], []);
  assert.equal(onlyMarker.records.length, 0);
  assert.equal(onlyMarker.nextOffset, 3n);
});

test('read_committed: records of aborted transactions are dropped, other producers kept', () => {
  const batches = [
    batch(0n, 2, { attributes: 0x10, producerId: 7n, prefix: 'aborted' }),
    batch(2n, 2, { attributes: 0x10, producerId: 8n, prefix: 'kept' }),
    marker(4n, 7n, false),
    marker(5n, 8n, true),
    // producer 7 again after its abort marker: a new transaction, not aborted
    batch(6n, 1, { attributes: 0x10, producerId: 7n, prefix: 'later' }),
    marker(7n, 7n, true),
  ];
  const r = convertBatches('t', 0, 0n, batches, [{ producerId: 7n, firstOffset: 0n }]);
  assert.deepEqual(values(r), ['kept2', 'kept3', 'later6']);
  assert.equal(r.nextOffset, 8n);
  // read_uncommitted (no aborted list): everything but the markers
  const all = convertBatches('t', 0, 0n, batches, null);
  assert.equal(all.records.length, 5);
});

test('tpKey round-trips topic names with dots, dashes and digits', () => {
  for (const [t, p] of [
    ['orders', 0],
    ['a.b-c_1', 11],
    ['x\u00e9', 2],
  ] as const) {
    assert.deepEqual(tpFromKey(tpKey(t, p)), { topic: t, partition: p });
  }
  assert.notEqual(tpKey('a1', 1), tpKey('a', 11));
});
