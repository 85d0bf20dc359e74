// Limits on requests in progress: at most maxConcurrentRequests at once, and no new request
// while the buffers hold maxBufferedBytes. Beyond either, the request is answered 429 with
// Retry-After at once (before its body is read), never queued without bound.
import { IngestError } from './ingest-error.ts';

export class RequestGate {
  private active = 0;
  private readonly maxConcurrent: number;
  private readonly maxBufferedBytes: number;
  private readonly buffered: { bytes: number };

  constructor(maxConcurrent: number, maxBufferedBytes: number, buffered: { bytes: number }) {
    this.maxConcurrent = maxConcurrent;
    this.maxBufferedBytes = maxBufferedBytes;
    this.buffered = buffered;
  }

  get inProgress(): number {
    return this.active;
  }

  /** Takes a place, or throws IngestError 429. Call leave() once done. */
  enter(): void {
    if (this.active >= this.maxConcurrent) throw new IngestError(429, 'retryable', `more than ${this.maxConcurrent} requests at once (limits.maxConcurrentRequests)`, { retryAfter: 1 });
    if (this.buffered.bytes >= this.maxBufferedBytes) throw new IngestError(429, 'retryable', `${this.buffered.bytes} bytes wait for their commit (limits.maxBufferedBytes)`, { retryAfter: 1 });
    this.active++;
  }

  leave(): void {
    this.active--;
  }
}
