// FileIO on S3 and S3-compatible stores (MinIO, versitygw, ...): `s3://` and `s3a://` (and
// `s3n://`) locations, configured by Iceberg's own property names.
//
//   s3.endpoint               http://127.0.0.1:9000 (absent: AWS's regional endpoint)
//   s3.access-key-id          static credentials; absent: the SDK's default chain
//   s3.secret-access-key
//   s3.session-token
//   s3.region / client.region (else AWS_REGION, else us-east-1)
//   s3.path-style-access      true for most S3-compatible servers
//   s3.multipart.size         part size in bytes (default 16 MiB; S3's minimum is 5 MiB)
//   s3.multipart.threshold    files larger than this go multipart (default: the part size)
//   s3.multipart.parallelism  parts in flight at once (default 4)
//   s3.checksum-calculation   floe's own: WHEN_REQUIRED stops the SDK sending CRC32 checksums
//                             that some S3-compatible servers reject (the SDK also reads
//                             AWS_REQUEST_CHECKSUM_CALCULATION=when_required from the environment)
//   s3.connect-timeout-ms     floe's own: TCP connect timeout (default 5000)
//   s3.request-timeout-ms     floe's own: a request whose connection stays idle (no byte either
//                             way) this long fails (default 30000; an endpoint that accepts and
//                             never answers must not hang a writer or its stop; a slow upload that
//                             keeps moving is not cut)
//   s3.max-attempts           floe's own: SDK attempts per request (default 3)
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { NotFoundError, type FileIO, type FileIOProperties, type OutputFile, type UnfinishedWrite } from './file-io.ts';
import { FloeError } from '../errors.ts';

export const S3_SCHEMES: readonly string[] = ['s3', 's3a', 's3n'];

export interface S3Location {
  scheme: string;
  bucket: string;
  key: string;
}

export function parseS3Location(location: string): S3Location {
  const m = /^(s3|s3a|s3n):\/\/([^/]+)\/?(.*)$/.exec(location);
  if (!m) throw new Error(`not an S3 location (s3://bucket/key): ${location}`);
  return { scheme: m[1], bucket: m[2], key: m[3] };
}

/** The object store could not be reached at all (connection refused, DNS, timeout). */
export class StorageUnreachableError extends FloeError {
  readonly endpoint: string;
  constructor(endpoint: string, cause: unknown) {
    super('retryable', `S3 endpoint ${endpoint} unreachable: ${describe(cause)}`, { cause });
    this.endpoint = endpoint;
  }
}

/** Any other failure of an S3 request, naming the operation, the location and the endpoint. */
export class StorageError extends FloeError {
  readonly status?: number;
  constructor(message: string, status: number | undefined, cause: unknown) {
    super(status === undefined || status >= 500 || status === 429 || status === 408 ? 'retryable' : 'fatal', message, { cause });
    this.status = status;
  }
}

const MiB = 1024 * 1024;
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string; errors?: unknown[] };
  if (e?.message) return e.code && !e.message.includes(e.code) ? `${e.code} ${e.message}` : e.message;
  if (e?.code) return e.code;
  if (Array.isArray(e?.errors) && e.errors.length > 0) return describe(e.errors[0]);
  return String(err);
}

function networkCode(err: unknown, depth = 0): string | undefined {
  if (err == null || depth > 5) return undefined;
  const e = err as { code?: string; name?: string; cause?: unknown; errors?: unknown[] };
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return e.code;
  if (e.name === 'TimeoutError') return 'TIMEOUT';
  for (const sub of e.errors ?? []) {
    const c = networkCode(sub, depth + 1);
    if (c) return c;
  }
  return networkCode(e.cause, depth + 1);
}

function httpStatus(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

function isNotFound(err: unknown): boolean {
  const name = (err as { name?: string })?.name;
  return name === 'NoSuchKey' || name === 'NotFound' || (httpStatus(err) === 404 && name !== 'NoSuchBucket');
}

function intProp(props: FileIOProperties, key: string, dflt: number): number {
  const v = props[key];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`property ${key} must be a positive integer, got "${v}"`);
  return n;
}

function boolProp(props: FileIOProperties, key: string): boolean | undefined {
  const v = props[key];
  if (v === undefined || v === '') return undefined;
  if (/^(true|1|yes)$/i.test(v)) return true;
  if (/^(false|0|no)$/i.test(v)) return false;
  throw new Error(`property ${key} must be true or false, got "${v}"`);
}

export class S3FileIO implements FileIO {
  readonly client: S3Client;
  /** The endpoint as errors name it. */
  readonly endpoint: string;
  readonly partSize: number;
  readonly multipartThreshold: number;
  readonly parallelism: number;
  /** Keys per ListObjectsV2 page (S3's default and maximum is 1000). */
  listPageSize?: number;

  constructor(properties: FileIOProperties = {}, client?: S3Client) {
    const region = properties['s3.region'] || properties['client.region'] || process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || 'us-east-1';
    const endpoint = properties['s3.endpoint'] || undefined;
    this.endpoint = endpoint ?? `https://s3.${region}.amazonaws.com`;
    this.partSize = intProp(properties, 's3.multipart.size', 16 * MiB);
    this.multipartThreshold = intProp(properties, 's3.multipart.threshold', this.partSize);
    this.parallelism = intProp(properties, 's3.multipart.parallelism', 4);
    if (client) {
      this.client = client;
      return;
    }
    const config: S3ClientConfig = {
      region,
      maxAttempts: intProp(properties, 's3.max-attempts', 3),
      requestHandler: { connectionTimeout: intProp(properties, 's3.connect-timeout-ms', 5000), socketTimeout: intProp(properties, 's3.request-timeout-ms', 30_000) } as never,
    };
    if (endpoint) config.endpoint = endpoint;
    const pathStyle = boolProp(properties, 's3.path-style-access');
    if (pathStyle !== undefined) config.forcePathStyle = pathStyle;
    const accessKeyId = properties['s3.access-key-id'];
    const secretAccessKey = properties['s3.secret-access-key'];
    if (accessKeyId && secretAccessKey) {
      config.credentials = { accessKeyId, secretAccessKey, sessionToken: properties['s3.session-token'] || undefined };
    } else if (accessKeyId || secretAccessKey) {
      throw new Error('s3.access-key-id and s3.secret-access-key must be given together');
    }
    const checksum = properties['s3.checksum-calculation'];
    if (checksum) {
      const v = checksum.toUpperCase().replace(/-/g, '_');
      if (v !== 'WHEN_REQUIRED' && v !== 'WHEN_SUPPORTED') {
        throw new Error(`property s3.checksum-calculation must be WHEN_REQUIRED or WHEN_SUPPORTED, got "${checksum}"`);
      }
      config.requestChecksumCalculation = v;
      config.responseChecksumValidation = v;
    }
    this.client = new S3Client(config);
  }

  private fail(op: string, location: string, err: unknown): never {
    if (err instanceof NotFoundError || err instanceof StorageUnreachableError) throw err;
    if (networkCode(err)) throw new StorageUnreachableError(this.endpoint, err);
    if (isNotFound(err)) throw new NotFoundError(location, err);
    const status = httpStatus(err);
    const name = (err as { name?: string })?.name;
    throw new StorageError(`S3 ${op} ${location} at ${this.endpoint} failed${status ? ` (HTTP ${status}${name ? ` ${name}` : ''})` : ''}: ${describe(err)}`, status, err);
  }

  async read(location: string): Promise<Uint8Array> {
    const { bucket, key } = parseS3Location(location);
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!res.Body) return new Uint8Array(0);
      return await res.Body.transformToByteArray();
    } catch (err) {
      this.fail('read', location, err);
    }
  }

  async readRange(location: string, offset: number, length: number): Promise<Uint8Array> {
    const { bucket, key } = parseS3Location(location);
    if (length <= 0) return new Uint8Array(0);
    // A negative offset counts from the end: ask for the suffix, then keep `length` of it.
    const range = offset < 0 ? `bytes=-${-offset}` : `bytes=${offset}-${offset + length - 1}`;
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: range }));
      if (!res.Body) return new Uint8Array(0);
      const bytes = await res.Body.transformToByteArray();
      // A server that ignores Range answers 200 with the whole object.
      if (res.ContentRange === undefined && res.$metadata.httpStatusCode === 200) {
        const start = offset < 0 ? Math.max(0, bytes.length + offset) : offset;
        return bytes.subarray(start, Math.min(bytes.length, start + length));
      }
      return bytes.length > length ? bytes.subarray(0, length) : bytes;
    } catch (err) {
      if (httpStatus(err) === 416) return new Uint8Array(0); // range beyond the end
      this.fail('readRange', location, err);
    }
  }

  async write(location: string, data: Uint8Array): Promise<void> {
    const { bucket, key } = parseS3Location(location);
    if (data.length <= this.multipartThreshold) {
      try {
        await this.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: data, ContentLength: data.length }));
      } catch (err) {
        this.fail('write', location, err);
      }
      return;
    }
    // bigger: the streaming writer's multipart upload (parts in parallel, aborted on failure)
    const out = await this.create(location);
    await out.write(data);
    await out.close();
  }

  /**
   * Streams a file: pieces are gathered into parts of `s3.multipart.size` and uploaded as they
   * fill (at most `s3.multipart.parallelism` at once); a file that stays under the threshold
   * is one PutObject at close. abort() aborts the multipart upload.
   */
  async create(location: string): Promise<OutputFile> {
    const { bucket, key } = parseS3Location(location);
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the OutputFile's methods below use this FileIO
    const io = this;
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    let length = 0;
    let uploadId: string | undefined;
    const etags: string[] = [];
    const inFlight = new Set<Promise<void>>();
    let failure: unknown;
    let done = false;
    const take = (n: number): Uint8Array => {
      const out = new Uint8Array(n);
      let at = 0;
      while (at < n) {
        const p = pending[0];
        const k = Math.min(p.length, n - at);
        out.set(p.subarray(0, k), at);
        at += k;
        if (k === p.length) pending.shift();
        else pending[0] = p.subarray(k);
      }
      pendingBytes -= n;
      return out;
    };
    const uploadPart = async (body: Uint8Array): Promise<void> => {
      if (uploadId === undefined) {
        const created = await io.client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
        if (!created.UploadId) throw new Error('CreateMultipartUpload returned no UploadId');
        uploadId = created.UploadId;
      }
      const n = etags.length + 1;
      etags.push('');
      const task = (async () => {
        const res = await io.client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: n, Body: body, ContentLength: body.length }));
        if (!res.ETag) throw new Error(`UploadPart ${n} returned no ETag`);
        etags[n - 1] = res.ETag;
      })().catch((err) => {
        failure ??= err;
      });
      inFlight.add(task);
      void task.finally(() => inFlight.delete(task));
      while (inFlight.size >= io.parallelism) await Promise.race(inFlight);
    };
    const abortUpload = async () => {
      await Promise.all(inFlight);
      if (uploadId !== undefined) await io.client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch(() => {});
    };
    return {
      location,
      get length() {
        return length;
      },
      async write(data: Uint8Array) {
        if (done) throw new Error(`write to ${location} after close or abort`);
        pending.push(data.slice());
        pendingBytes += data.length;
        length += data.length;
        try {
          while (pendingBytes >= io.partSize && length > io.multipartThreshold) {
            await uploadPart(take(io.partSize));
            if (failure) throw failure;
          }
        } catch (err) {
          done = true;
          await abortUpload();
          io.fail('multipart write', location, err);
        }
      },
      async close() {
        if (done) throw new Error(`close of ${location} after close or abort`);
        done = true;
        try {
          if (uploadId === undefined && length <= io.multipartThreshold) {
            const body = take(pendingBytes);
            await io.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: body.length }));
            return;
          }
          if (pendingBytes > 0 || etags.length === 0) await uploadPart(take(pendingBytes));
          await Promise.all(inFlight);
          if (failure) throw failure;
          await io.client.send(
            new CompleteMultipartUploadCommand({
              Bucket: bucket,
              Key: key,
              UploadId: uploadId,
              MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
            }),
          );
        } catch (err) {
          await abortUpload();
          io.fail(uploadId === undefined ? 'write' : 'multipart write', location, err);
        } finally {
          pending = [];
          pendingBytes = 0;
        }
      },
      async abort() {
        if (done) return;
        done = true;
        pending = [];
        pendingBytes = 0;
        await abortUpload();
      },
    };
  }

  async exists(location: string): Promise<boolean> {
    const { bucket, key } = parseS3Location(location);
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return true;
    } catch (err) {
      if (isNotFound(err) && !networkCode(err)) return false;
      this.fail('exists', location, err);
    }
  }

  async delete(location: string): Promise<void> {
    const { bucket, key } = parseS3Location(location);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    } catch (err) {
      if (isNotFound(err) && !networkCode(err)) return;
      this.fail('delete', location, err);
    }
  }

  async *list(prefix: string): AsyncIterable<{ location: string; size: number; lastModified: Date }> {
    const { scheme, bucket, key } = parseS3Location(prefix);
    let token: string | undefined;
    do {
      let res;
      try {
        res = await this.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, ContinuationToken: token, MaxKeys: this.listPageSize }));
      } catch (err) {
        this.fail('list', prefix, err);
      }
      for (const o of res.Contents ?? []) {
        if (o.Key === undefined) continue;
        yield { location: `${scheme}://${bucket}/${o.Key}`, size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(0) };
      }
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
  }

  /** Multipart uploads under the prefix that were started and never completed nor aborted. */
  async *listUnfinished(prefix: string): AsyncIterable<UnfinishedWrite> {
    const { scheme, bucket, key } = parseS3Location(prefix);
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
      let res;
      try {
        res = await this.client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }));
      } catch (err) {
        this.fail('list uploads', prefix, err);
      }
      for (const u of res.Uploads ?? []) {
        if (u.Key === undefined || u.UploadId === undefined) continue;
        const upload = { Bucket: bucket, Key: u.Key, UploadId: u.UploadId };
        yield {
          location: `${scheme}://${bucket}/${u.Key}`,
          startedAt: u.Initiated ?? new Date(0),
          abort: async () => {
            await this.client.send(new AbortMultipartUploadCommand(upload)).catch(() => {});
          },
        };
      }
      keyMarker = res.IsTruncated ? res.NextKeyMarker : undefined;
      uploadIdMarker = res.IsTruncated ? res.NextUploadIdMarker : undefined;
    } while (keyMarker !== undefined);
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
