// One buffer that a compaction run reads the small inputs of each group into, group after
// group (stitch.ts loadStitchInputs). A buffer per input file made the garbage collector most of
// a stitch's cost: every few MB of new buffers started a full collection of a heap that holds
// the run's parsed manifests (docs/decisions.md, "Benchmark: maintenance"). The buffer is
// allocated once (and again only when a group needs more), and reused.
//
// A region handed out is valid until the next start(): whoever holds the bytes of a group's
// inputs (their footers, their row groups) must be done with them before the next group loads.

/** Reads a whole file into the given bytes: LocalFileIO.readInto. */
export interface ReadsInto {
  readInto(location: string, into: Uint8Array): Promise<Uint8Array | undefined>;
}

/** True when `io` can read a file into a caller's buffer. */
export function readsInto(io: unknown): io is ReadsInto {
  return typeof (io as Partial<ReadsInto> | undefined)?.readInto === 'function';
}

export class InputArena {
  private buffer = new Uint8Array(0);
  private used = 0;
  /** The largest buffer this arena allocates. */
  readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Starts a group of `bytes` (capped at the limit): every region handed out before is given back. */
  start(bytes: number): void {
    const want = Math.min(bytes, this.limit);
    if (want > this.buffer.length) this.buffer = new Uint8Array(want);
    this.used = 0;
  }

  /** Bytes left in this group. */
  get left(): number {
    return this.buffer.length - this.used;
  }

  /** The next `n` free bytes, or undefined when fewer are left. */
  take(n: number): Uint8Array | undefined {
    if (n > this.left) return undefined;
    const region = this.buffer.subarray(this.used, this.used + n);
    this.used += n;
    return region;
  }
}
