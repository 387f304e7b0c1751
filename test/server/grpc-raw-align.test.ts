/**
 * ModelInferRequest decoding moves raw input contents to their datatypes' boundaries inside the received message
 * (src/server/grpc/raw-align.ts): the views stay over the message (no copy), every byte is kept, and an entry moves
 * only into bytes nothing else views. Messages are encoded with the service's own serializer and handed to its
 * deserializer as grpc-js does: 5 bytes into a fresh allocation.
 */
import { inferenceService, type ProtoInferRequest } from '../../src/server/grpc/proto';

interface Input {
  name: string;
  datatype: string;
  bytes: Buffer;
  contents?: Record<string, unknown>;
}

/** Distinct, recognisable bytes: `seed`, `seed + 1`, … (mod 251, so no run repeats within 251 bytes). */
function pattern(length: number, seed: number): Buffer {
  return Buffer.from(Array.from({ length }, (_, i) => (seed + i) % 251));
}

/** The message as grpc-js hands it over, with each raw entry's offset in it before decoding. */
function received(model: string, inputs: Input[]): { message: Buffer; offsets: number[] } {
  const method = inferenceService()['ModelInfer']!;
  const encoded = method.requestSerialize({
    model_name: model,
    inputs: inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: [t.bytes.length], contents: t.contents })),
    raw_input_contents: inputs.map((t) => t.bytes),
  });
  const message = Buffer.concat([Buffer.alloc(5), encoded]).subarray(5);
  return { message, offsets: inputs.map((t) => message.byteOffset + message.lastIndexOf(t.bytes)) };
}

function decode(message: Buffer): ProtoInferRequest {
  return inferenceService()['ModelInfer']!.requestDeserialize(message) as ProtoInferRequest;
}

describe('raw input contents aligned in place', () => {
  it('moves FP64 and FP32 entries to 8- and 4-byte boundaries over the same message, bytes unchanged', () => {
    // The first entry has the fields before it to move into; the next one its tag and 2-byte length.
    let moved = 0;
    for (let nameLength = 1; nameLength <= 8; nameLength++) {
      const inputs = [
        { name: 'a', datatype: 'FP64', bytes: pattern(800, 7) },
        { name: 'b', datatype: 'FP32', bytes: pattern(400, 1) },
      ];
      const { message, offsets } = received('m'.repeat(nameLength), inputs);
      const raw = decode(message).raw_input_contents;
      raw.forEach((entry, i) => {
        expect(entry.buffer).toBe(message.buffer); // a view, not a copy
        expect(entry.byteOffset % (i === 0 ? 8 : 4)).toBe(0);
        expect(Buffer.compare(entry, inputs[i]!.bytes)).toBe(0);
        if (entry.byteOffset !== offsets[i]) moved++;
      });
    }
    expect(moved).toBeGreaterThan(8); // most of the 16 entries started off their boundary
  });

  it('leaves an entry where it is when the bytes in front of it are too few, and keeps the entry before it', () => {
    // A BYTES entry (no alignment) then an 8-byte FP64 one: only its tag and a 1-byte length lie in between.
    let kept = 0;
    for (let first = 1; first <= 8; first++) {
      const inputs = [
        { name: 's', datatype: 'BYTES', bytes: pattern(first, 100) },
        { name: 'd', datatype: 'FP64', bytes: pattern(8, 200) },
      ];
      const { message, offsets } = received('m', inputs);
      const raw = decode(message).raw_input_contents;
      expect(Buffer.compare(raw[0]!, inputs[0]!.bytes)).toBe(0);
      expect(raw[0]!.byteOffset).toBe(offsets[0]);
      expect(Buffer.compare(raw[1]!, inputs[1]!.bytes)).toBe(0);
      const shift = offsets[1]! % 8;
      expect(raw[1]!.byteOffset).toBe(shift <= 2 ? offsets[1]! - shift : offsets[1]);
      if (shift > 2) kept++;
    }
    expect(kept).toBeGreaterThan(0);
  });

  it('goes past an empty entry (decoded as a buffer of its own) to align the ones after it', () => {
    for (let nameLength = 1; nameLength <= 4; nameLength++) {
      const inputs = [
        { name: 'e', datatype: 'FP32', bytes: Buffer.alloc(0) },
        { name: 'f', datatype: 'FP32', bytes: pattern(100, 9) },
      ];
      const { message } = received('m'.repeat(nameLength), inputs);
      const raw = decode(message).raw_input_contents;
      expect(raw[0]!.length).toBe(0);
      expect(raw[1]!.buffer).toBe(message.buffer);
      expect(raw[1]!.byteOffset % 4).toBe(0);
      expect(Buffer.compare(raw[1]!, inputs[1]!.bytes)).toBe(0);
    }
  });

  it('moves nothing when the request also holds bytes_contents, which view the same message', () => {
    const bytesContents = [pattern(5, 50)];
    const inputs = [
      { name: 'x', datatype: 'FP32', bytes: pattern(64, 3), contents: { bytes_contents: bytesContents } },
    ];
    const { message, offsets } = received('mm', inputs);
    const req = decode(message);
    expect(req.raw_input_contents[0]!.byteOffset).toBe(offsets[0]);
    expect(Buffer.compare(req.raw_input_contents[0]!, inputs[0]!.bytes)).toBe(0);
    expect(Buffer.compare(req.inputs[0]!.contents!.bytes_contents![0]!, bytesContents[0]!)).toBe(0);
  });
});
