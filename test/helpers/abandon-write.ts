// A writer to be SIGKILLed: opens an output file through floe's FileIO (a local temporary file, or
// an S3 multipart upload once past its part size), writes `bytes`, prints "ready", and waits.
// Run as: node test/helpers/abandon-write.ts '{"location": "...", "bytes": N, "properties": {...}}'
import { fileIOFor } from '../../src/io/resolve-file-io.ts';

const req = JSON.parse(process.argv[2]) as { location: string; bytes: number; properties?: Record<string, string> };
const io = fileIOFor(req.location, { ...(req.properties ?? {}), 's3.multipart.size': String(5 * 1024 * 1024) });
const out = await io.create!(req.location);
const chunk = new Uint8Array(1024 * 1024).fill(7);
for (let n = 0; n < req.bytes; n += chunk.length) await out.write(chunk.subarray(0, Math.min(chunk.length, req.bytes - n)));
process.stdout.write('ready\n');
setInterval(() => {}, 60_000);
