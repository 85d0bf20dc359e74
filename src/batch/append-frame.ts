// One record frame (decode/record-frame.ts) into a batch: straight from its bytes when the frame
// says how and the batch can (an Avro record through RecordBatchBuilder.appendAvro; plain JSON
// through appendJson), else as its decoded object (append). Either way the batch ends up the same
// and a record that cannot land throws the same bad-record error: a direct path declines
// (changing nothing) every record it would not append exactly as the object path does, and the
// object path then decides.
import type { AvroType } from '../decode/avro-schema.ts';
import type { RecordFrame } from '../decode/record-frame.ts';

/** What appendFrame appends to (RecordBatchBuilder, and a table's PartitionedBatch). */
export interface FrameTarget {
  append(record: Record<string, unknown>, extras?: readonly unknown[]): void;
  appendAvro(writer: AvroType, bytes: Uint8Array, offset: number, extras?: readonly unknown[]): boolean;
  /** Optional: a batch without it takes plain JSON as objects. */
  appendJson?(bytes: Uint8Array, offset: number, extras?: readonly unknown[]): boolean;
}

/**
 * Appends the frame's record straight from its bytes, if the frame says how and the batch can
 * (true); false, with the batch unchanged, when it must be appended as its decoded object.
 */
export function appendDirect(target: FrameTarget, frame: RecordFrame, extras?: readonly unknown[]): boolean {
  const direct = frame.direct;
  if (direct === undefined || frame.bytes === undefined) return false;
  if (direct.format === 'avro') return target.appendAvro(direct.writer, frame.bytes, direct.offset, extras);
  return target.appendJson !== undefined && target.appendJson(frame.bytes, direct.offset, extras);
}

/**
 * Appends the frame's record with `extras` (the extra columns' values): appendDirect, else its
 * decoded object. `vet`, when given, is run on the decoded value before the object path appends
 * it, and its error thrown instead (the direct paths decline every record it could refuse: a key
 * named like an extra column). Throws a bad-record error (DecodeError, ValueError, vet's) with
 * the batch unchanged.
 */
export function appendFrame(target: FrameTarget, frame: RecordFrame, extras?: readonly unknown[], vet?: (value: Record<string, unknown>) => Error | undefined): void {
  if (appendDirect(target, frame, extras)) return;
  const value = frame.value;
  if (vet !== undefined) {
    const refused = vet(value);
    if (refused !== undefined) throw refused;
  }
  target.append(value, extras);
}
