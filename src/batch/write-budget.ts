// The write budget of one table: how many bytes its writer may hold between commits, and how
// they are counted. A commit touching many partitions (bucket(1000, id)) keeps, once rows are
// written as row groups, a data file open for each: that grows with the partitions, not with
// the rows; the buffered rows grow with the rows. Beyond the budget the writer sheds, nothing is
// dropped: the buffered rows are written out by partition as row groups ahead of their size
// (PartitionedBatch.takeRowGroups), and the largest open data files are finished ahead of
// the commit (RollingDataFiles.write). Finished files are committed with the batch as any
// other: exactly-once is unchanged, since no file is committed without its offsets.

/** Default budget per table: the default commit.maxBytes, so a table within it never sheds. */
export const DEFAULT_WRITE_BUFFER_BYTES = 128 * 1024 * 1024;

/**
 * What an open data file costs besides the bytes written to it: its footer metadata, the file
 * handle or the multipart upload's state (an estimate).
 */
export const OPEN_FILE_BYTES = 16 * 1024;

/**
 * The most of its written bytes an open file is taken to hold: an upload to S3 keeps a file
 * whole until it passes the multipart threshold (s3.multipart.size, 16 MiB by default), then a
 * part or a few at a time; so a large file (an unpartitioned table's) is not cut by the budget.
 */
export const OPEN_FILE_HELD_BYTES = 16 * 1024 * 1024;

/**
 * Bytes an open data file holds in memory: those written to it, up to OPEN_FILE_HELD_BYTES,
 * plus its fixed cost. On a local disk the written bytes are on disk (the file holds a write
 * chunk of at most 1 MiB): counting them anyway keeps one rule for every store.
 */
export function openFileBytes(writtenBytes: number): number {
  return Math.min(writtenBytes, OPEN_FILE_HELD_BYTES) + OPEN_FILE_BYTES;
}

/**
 * The entries to shed, largest first, until the total of what is left is at most `target`: the
 * keys of `sizes` whose removal brings `total` down to `target` (all of them if that is not
 * enough).
 */
export function largestUntil<K>(sizes: Iterable<[K, number]>, total: number, target: number): K[] {
  if (total <= target) return [];
  const sorted = [...sizes].sort((a, b) => b[1] - a[1]);
  const out: K[] = [];
  for (const [key, size] of sorted) {
    if (total <= target) break;
    out.push(key);
    total -= size;
  }
  return out;
}
