// The append API's Prometheus metrics (served by server/server.ts on the metrics port).
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';

export class IngestMetrics {
  readonly requests: Counter<'table' | 'status'>;
  readonly rows: Counter<'table'>;
  readonly bytes: Counter<'table'>;
  readonly latency: Histogram<'outcome'>;
  readonly commits: Counter<'table'>;
  readonly bufferedRows: Gauge;
  readonly bufferedBytes: Gauge;

  constructor(registry: Registry, buffered: { rows(): number; bytes(): number }) {
    const registers = [registry];
    this.requests = new Counter({ name: 'floe_ingest_requests_total', help: 'Append requests answered, by table and HTTP status', labelNames: ['table', 'status'], registers });
    this.rows = new Counter({ name: 'floe_ingest_rows_total', help: 'Rows committed through the append API', labelNames: ['table'], registers });
    this.bytes = new Counter({ name: 'floe_ingest_bytes_total', help: 'Request body bytes of committed appends', labelNames: ['table'], registers });
    this.commits = new Counter({ name: 'floe_ingest_commits_total', help: 'Group commits (snapshots) of the append API', labelNames: ['table'], registers });
    this.latency = new Histogram({
      name: 'floe_ingest_request_seconds',
      help: 'Append request latency, by outcome (ok, bad_request, limited, unavailable, error)',
      labelNames: ['outcome'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 30],
      registers,
    });
    this.bufferedRows = new Gauge({ name: 'floe_ingest_buffered_rows', help: 'Rows waiting for their group commit', registers, collect: () => this.bufferedRows.set(buffered.rows()) });
    this.bufferedBytes = new Gauge({ name: 'floe_ingest_buffered_bytes', help: 'Request bytes waiting for their group commit', registers, collect: () => this.bufferedBytes.set(buffered.bytes()) });
  }

  /** The latency histogram's outcome label of an HTTP status. */
  static outcome(status: number): string {
    if (status === 200) return 'ok';
    if (status === 429 || status === 413) return 'limited';
    if (status === 503) return 'unavailable';
    if (status >= 400 && status < 500) return 'bad_request';
    return 'error';
  }
}
