/**
 * A call lets go of the socket reads its message came in once the message is whole.
 *
 * @grpc/grpc-js reads each call's messages with a decoder of its own (StreamDecoder, one per call). When a message
 * is whole, the decoder copies it into one buffer for the deserializer, but keeps its views of the socket reads the
 * message came in (the compress-flag byte and every chunk) until the next message begins: for a unary call, until
 * the call ends. Each view keeps a whole socket read alive (Node's HTTP/2 session reads up to 64 KiB at a time and
 * hands out DATA frames as views of it), so a call waiting for its model held its message twice over in
 * ArrayBuffers. PP-OCR images (110 kB) at c=64: a heap snapshot found 14.4 MB of ArrayBuffers, half of them held
 * by decoders (readPartialMessage, readCompressFlag); 7.3 MB once they let go. V8 starts a young collection for
 * every 32 MB of young ArrayBuffers, so a doubled live set makes those collections come sooner and promote calls
 * still running. Throughput: 1.09x and 1.20x (medians of five alternating pairs of fresh servers, gRPC at c=64);
 * in the grpc bench scenario, whose server runs longer, no change stands out of the noise.
 *
 * Between messages the decoder has no use for those views: it replaces both when the next message begins. So each
 * handler, given a message, drops them when its call's decoder is between messages (a stream's decoder may already
 * be inside the next one: then it is left alone, and the next message's handler drops them).
 *
 * The decoder is a private field of grpc-js (of the 1.14 this package locks): found by its shape, under the call's
 * `call` (and the `nextCall` of any interceptors). Where it is not found, nothing is dropped and a process warning
 * (GRAPHSERVE_GRPC_DECODER) says so once.
 */

/** The fields of grpc-js's StreamDecoder this module touches. */
interface Decoder {
  /** 0 (NO_DATA): between messages. */
  readState: number;
  readCompressFlag: Buffer;
  readPartialMessage: Buffer[];
}

const NO_DATA = 0;
/** How many interceptors deep the decoder is looked for. */
const MAX_DEPTH = 8;
/** A compress flag of its own, viewing no socket read; its value is never read before the next message sets it. */
const NO_FLAG = Buffer.alloc(1);

let warned = false;

function isDecoder(value: unknown): value is Decoder {
  const d = value as Partial<Decoder> | null;
  return (
    typeof d === 'object' &&
    d !== null &&
    typeof d.readState === 'number' &&
    Buffer.isBuffer(d.readCompressFlag) &&
    Array.isArray(d.readPartialMessage)
  );
}

/** The decoder of a grpc-js server call object (ServerUnaryCall, ServerDuplexStream …); undefined if not found. */
function decoderOf(call: unknown): Decoder | undefined {
  let inner = (call as { call?: unknown }).call;
  for (let depth = 0; depth < MAX_DEPTH && typeof inner === 'object' && inner !== null; depth++) {
    const decoder = (inner as { decoder?: unknown }).decoder;
    if (isDecoder(decoder)) return decoder;
    inner = (inner as { nextCall?: unknown }).nextCall;
  }
  return undefined;
}

/**
 * Drops the views the call's decoder keeps of the socket reads its last message came in, when the decoder is
 * between messages (see the module comment). Call it from the handler, once grpc-js has handed it a message.
 */
export function releaseReceivedBytes(call: unknown): void {
  const decoder = decoderOf(call);
  if (decoder === undefined) {
    if (!warned) {
      warned = true;
      process.emitWarning(
        "@grpc/grpc-js's call has no message decoder where expected: calls keep their socket reads until they end",
        { code: 'GRAPHSERVE_GRPC_DECODER' },
      );
    }
    return;
  }
  if (decoder.readState !== NO_DATA) return;
  if (decoder.readPartialMessage.length > 0) decoder.readPartialMessage = [];
  decoder.readCompressFlag = NO_FLAG;
}
