// `floe demo-writer`: writes sample events straight through the table writer (no Kafka) into a
// local table through the embedded catalog and shows what landed. Needs nothing but Node.
import { parseTableName } from '../catalog/catalog.ts';
import { buildPartitionSpec } from '../iceberg/partition-spec.ts';
import { appendRecords } from '../writer/fanout-writer.ts';
import { inspectTable } from '../table/inspect.ts';
import { DEMO_EVENTS_SCHEMA, demoEvents } from './demo-events.ts';
import { embeddedCatalog } from './embedded.ts';
import { printReport } from './inspect.ts';

export interface DemoOptions {
  warehouse?: string;
  table?: string;
  rows?: number;
  batches?: number;
  out?: (line: string) => void;
}

export async function demo(options: DemoOptions = {}): Promise<void> {
  const out = options.out ?? ((l: string) => console.log(l));
  const { catalog, dir, catalogFile } = embeddedCatalog(options.warehouse);
  const id = parseTableName(options.table ?? 'demo.events');
  const rows = options.rows ?? 100_000;
  const batches = options.batches ?? 5;
  try {
    if (!(await catalog.namespaceExists(id.namespace))) await catalog.createNamespace(id.namespace);
    if (!(await catalog.tableExists(id))) {
      const { spec } = buildPartitionSpec(DEMO_EVENTS_SCHEMA, ['day(ts)']);
      await catalog.createTable(id, { schema: DEMO_EVENTS_SCHEMA, partitionSpec: spec, properties: { 'write.parquet.compression-codec': 'zstd' } });
      out(`created table ${id.namespace.join('.')}.${id.name} (partitioned by day(ts)) in ${dir}`);
    }
    const per = Math.ceil(rows / batches);
    const seedBase = Date.now() % 100_000;
    for (let b = 0; b < batches; b++) {
      const n = Math.min(per, rows - b * per);
      if (n <= 0) break;
      const t0 = performance.now();
      const r = await appendRecords(catalog, id, demoEvents(n, seedBase + b));
      const ms = performance.now() - t0;
      out(`appended ${n} events as snapshot ${r.snapshot['snapshot-id']} (${r.snapshot.summary['added-data-files']} files, ${ms.toFixed(0)} ms)`);
    }
    const table = await catalog.loadTable(id);
    printReport(`${id.namespace.join('.')}.${id.name}`, await inspectTable(table), out);
    out('');
    out(`catalog: ${catalogFile} (Iceberg JdbcCatalog layout; PyIceberg: SqlCatalog("default", uri="sqlite:///${catalogFile}", warehouse="file://${dir}"))`);
  } finally {
    await catalog.close?.();
  }
}
