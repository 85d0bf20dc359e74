// The append API's tables: one group-commit buffer per table (table-buffer.ts), made on the
// first request for it with its settings (its own entry of the ingest file, else the defaults).
import type { Catalog } from '../catalog/catalog.ts';
import type { IngestConfig } from '../config/ingest-config.ts';
import { tableSettings } from '../config/ingest-config.ts';
import type { ParquetEncoder } from '../writer/data-file-writer.ts';
import { TableBuffer } from './table-buffer.ts';
import type { CommitEvent } from './table-buffer.ts';

export class TableBuffers {
  private readonly buffers = new Map<string, TableBuffer>();
  private readonly config: IngestConfig;
  private readonly catalog: Catalog;
  private readonly encoder: ParquetEncoder | undefined;
  private readonly onCommitted: ((e: CommitEvent) => void) | undefined;
  /** Bytes of request bodies waiting for a commit, every table. */
  readonly buffered = { bytes: 0 };

  constructor(config: IngestConfig, catalog: Catalog, options: { encoder?: ParquetEncoder; onCommitted?: (e: CommitEvent) => void } = {}) {
    this.config = config;
    this.catalog = catalog;
    this.encoder = options.encoder;
    this.onCommitted = options.onCommitted;
  }

  get(table: string): TableBuffer {
    let b = this.buffers.get(table);
    if (!b) {
      b = new TableBuffer({
        name: table,
        catalog: this.catalog,
        settings: tableSettings(this.config, table),
        commit: this.config.commit,
        idempotency: this.config.idempotency,
        encoder: this.encoder,
        buffered: this.buffered,
        onCommitted: this.onCommitted,
      });
      this.buffers.set(table, b);
    }
    return b;
  }

  /** Rows waiting for a commit, every table. */
  get bufferedRows(): number {
    let n = 0;
    for (const b of this.buffers.values()) n += b.bufferedRows;
    return n;
  }

  /** Commits everything buffered (a graceful stop). */
  async flushAll(): Promise<void> {
    await Promise.all([...this.buffers.values()].map((b) => b.flush()));
  }
}
