// An append request's body → rows. By Content-Type: application/json is one object (one row) or
// an array of objects (also without a Content-Type, or curl -d's form type); application/x-ndjson (also application/jsonl, application/ndjson) is one
// object per line, each parsed on its own, so one bad line is one bad row. Content-Encoding gzip
// and zstd are accepted. Bodies are read up to the size limit, as sent and once decompressed:
// beyond it the request is refused (413) before it is all read. Numbers keep their exactness as
// the JSON connector keeps it (decode/json-decoder.ts: integers beyond 2^53 as bigints; parsed by
// exact-json.ts, which gives the same values with less work).
import { Buffer, isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import zlib from 'node:zlib';
import { parseJsonExact } from './exact-json.ts';
import { IngestError } from './ingest-error.ts';

export interface RowProblem {
  /** The row's place in the request (0-based: array index or line number among non-empty lines). */
  index: number;
  reason: string;
}

export interface ParsedBody {
  /** Rows that parsed as objects, with their index in the request. */
  rows: Record<string, unknown>[];
  indexes: number[];
  /** Rows that did not parse or are not objects. */
  problems: RowProblem[];
  /** Rows in the request, good and bad. */
  total: number;
}

export type BodyFormat = 'json' | 'ndjson';

/** The body's format from its Content-Type, or an IngestError 415. */
export function bodyFormat(contentType: string | undefined): BodyFormat {
  const type = (contentType ?? 'application/json').split(';')[0].trim().toLowerCase();
  // curl -d sends application/x-www-form-urlencoded unless told otherwise: taken as JSON
  if (type === 'application/json' || type === '' || type === 'text/json' || type === 'application/x-www-form-urlencoded') return 'json';
  if (type === 'application/x-ndjson' || type === 'application/ndjson' || type === 'application/jsonl' || type === 'application/x-jsonlines') return 'ndjson';
  throw new IngestError(415, 'bad-record', `Content-Type ${type} is not accepted (application/json or application/x-ndjson)`);
}

/**
 * Reads the whole body (at most maxBytes as sent), then decompresses it (at most maxBytes). A body
 * beyond the limit fails at once (413, its rest is dropped); a request closed before its end
 * fails. (Stream events rather than an async iterator: one promise per body, not per chunk.)
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.reject(tooLarge(maxBytes));
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const fail = (err: unknown) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        fail(tooLarge(maxBytes)); // the rest is read and dropped; the answer closes the connection
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('error', fail);
    // 'close' comes after 'end' too: an error (and its stack) only when it came first
    req.once('close', () => done || fail(new IngestError(503, 'retryable', 'the request was closed before its body was read', { retryAfter: 1 })));
    req.once('end', () => {
      if (done) return;
      done = true;
      try {
        // one chunk (the usual body): that chunk, not a copy of it
        resolve(decompress(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size), req.headers['content-encoding'], maxBytes));
      } catch (err) {
        reject(err);
      }
    });
  });
}

function tooLarge(maxBytes: number): IngestError {
  return new IngestError(413, 'bad-record', `the request body is larger than ${maxBytes} bytes (limits.maxBodyBytes)`);
}

/** The body as sent → its bytes, by Content-Encoding (identity, gzip, zstd). */
export function decompress(body: Buffer, encoding: string | undefined, maxBytes: number): Buffer {
  const enc = (encoding ?? 'identity').trim().toLowerCase();
  if (enc === 'identity' || enc === '') return body;
  try {
    if (enc === 'gzip' || enc === 'x-gzip') return zlib.gunzipSync(body, { maxOutputLength: maxBytes });
    if (enc === 'zstd') return zlib.zstdDecompressSync(body, { maxOutputLength: maxBytes });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) throw tooLarge(maxBytes);
    throw new IngestError(400, 'bad-record', `the body is not valid ${enc}: ${(err as Error).message}`);
  }
  throw new IngestError(415, 'bad-record', `Content-Encoding ${enc} is not accepted (gzip, zstd or none)`);
}

/** Rows of a body; a body that is not UTF-8, or JSON that does not parse as a whole, is an IngestError 400. */
export function parseRows(body: Buffer, format: BodyFormat, maxRows: number): ParsedBody {
  if (!isUtf8(body)) throw new IngestError(400, 'bad-record', 'the body is not valid UTF-8');
  const text = body.toString('utf8');
  const out: ParsedBody = { rows: [], indexes: [], problems: [], total: 0 };
  const take = (value: unknown, index: number) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      out.rows.push(value as Record<string, unknown>);
      out.indexes.push(index);
    } else {
      out.problems.push({ index, reason: `a row must be a JSON object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}` });
    }
  };
  const tooMany = () => new IngestError(413, 'bad-record', `more than ${maxRows} rows in one request (limits.maxRowsPerRequest)`);
  if (format === 'json') {
    let value: unknown;
    try {
      value = parseJsonExact(text);
    } catch (err) {
      throw new IngestError(400, 'bad-record', (err as Error).message);
    }
    if (Array.isArray(value)) {
      if (value.length > maxRows) throw tooMany();
      value.forEach(take);
      out.total = value.length;
    } else {
      take(value, 0);
      out.total = 1;
    }
    return out;
  }
  let index = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end).trim();
    start = end + 1;
    if (line === '') continue;
    if (index >= maxRows) throw tooMany();
    try {
      take(parseJsonExact(line), index);
    } catch (err) {
      out.problems.push({ index, reason: (err as Error).message });
    }
    index++;
  }
  out.total = index;
  return out;
}
