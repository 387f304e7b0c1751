/**
 * Raw input contents aligned where they lie. A ModelInferRequest's `raw_input_contents` are views over the received
 * message, at offsets the sender's encoding decided, so an FP32 tensor usually starts off a 4-byte boundary and
 * src/protocol/binary.ts must copy it into a new allocation before it can be a Float32Array. (The HTTP transport
 * avoids that by placing the body it reads; grpc-js allocates the message itself.)
 *
 * Once the message is decoded, the bytes in front of each raw entry (its field tag and length, or fields already
 * read into strings and numbers) are no longer needed, so the entry can be moved a few bytes towards the start of
 * the message, to the boundary its datatype needs, inside the same buffer: a memmove instead of an allocation and a
 * copy. An entry moves only into bytes that nothing else still views: never before the message or into the entry
 * before it, and not at all when the request also holds `bytes_contents` (views over the same message). An entry
 * that cannot move stays as it is, and the protocol copies it as before.
 *
 * The message buffer must be the caller's alone: grpc-js hands each received message to the deserializer and keeps
 * no use for it afterwards.
 */
import { DATATYPE_INFO } from '../../../bindings/datatypes';
import type { Datatype } from '../../protocol';
import type { ProtoInferRequest } from './proto';

/** Element size in bytes of `datatype` when its raw bytes become a typed array needing that alignment; else 1. */
function alignmentOf(datatype: string | undefined): number {
  if (datatype === undefined || datatype === 'BYTES' || !Object.hasOwn(DATATYPE_INFO, datatype)) return 1;
  return DATATYPE_INFO[datatype as Datatype].size;
}

/**
 * Moves `req.raw_input_contents` (views over `message`) to the boundaries of their inputs' datatypes where the
 * bytes in front of them allow (see the module comment), replacing the views in `req`. Leaves anything unusual
 * (entries not in `message`, out of order, a count that differs from the inputs') to the protocol's checks.
 */
export function alignRawContents(req: ProtoInferRequest, message: Buffer): void {
  const raw = req.raw_input_contents;
  if (raw.length === 0 || raw.length !== req.inputs.length) return;
  if (req.inputs.some((t) => (t.contents?.bytes_contents?.length ?? 0) > 0)) return;
  const start = message.byteOffset;
  const end = start + message.length;
  let free = start; // the lowest absolute offset an entry may move to
  for (let i = 0; i < raw.length; i++) {
    const entry = raw[i]!;
    if (entry.length === 0) continue; // an empty entry may be a buffer of its own: nothing to move
    const at = entry.byteOffset;
    if (entry.buffer !== message.buffer || at < free || at + entry.length > end) return;
    const shift = at % alignmentOf(req.inputs[i]!.datatype);
    if (shift !== 0 && at - shift >= free) {
      const from = at - start;
      message.copyWithin(from - shift, from, from + entry.length);
      raw[i] = message.subarray(from - shift, from - shift + entry.length);
    }
    free = raw[i]!.byteOffset + entry.length;
  }
}
