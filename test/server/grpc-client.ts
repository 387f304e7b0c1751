/**
 * A gRPC client of graphserve's GRPCInferenceService for tests: @grpc/grpc-js with the package's own proto
 * (loaded as a client would load it), each RPC as a promise; a failed call rejects with grpc-js's ServiceError.
 */
import { join } from 'node:path';
import {
  Metadata,
  credentials,
  loadPackageDefinition,
  type CallOptions,
  type Client,
  type ClientDuplexStream,
  type ServiceError,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

const PROTO_DIR = join(__dirname, '..', '..', 'proto');

type Callback = (err: ServiceError | null, res: unknown) => void;
type RawClient = Client & Record<string, (req: unknown, md: Metadata, opts: CallOptions, cb: Callback) => void>;

/** A ModelInferResponse as this client decodes it (defaults filled in; int64 as decimal text). */
export interface InferReply {
  model_name: string;
  model_version: string;
  id: string;
  outputs: {
    name: string;
    datatype: string;
    shape: string[];
    contents: Record<string, unknown[]> | null;
    parameters: Record<string, unknown>;
  }[];
  raw_output_contents: Buffer[];
}

export interface InferClient {
  call<T = Record<string, unknown>>(
    rpc: string,
    request: unknown,
    options?: CallOptions & { metadata?: Metadata },
  ): Promise<T>;
  stream(): ClientDuplexStream<unknown, Record<string, unknown>>;
  close(): void;
}

/**
 * A client of the server at `target` (host:port); `maxMessageSize` raises grpc-js's 4 MiB default; `channel`: more
 * grpc-js channel options.
 */
export function inferClient(
  target: string,
  maxMessageSize = 256 * 1024 * 1024,
  channel: Record<string, number> = {},
): InferClient {
  const definition = loadSync(join(PROTO_DIR, 'grpc_service.proto'), {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
    includeDirs: [PROTO_DIR],
  });
  const pkg = loadPackageDefinition(definition) as unknown as {
    inference: { GRPCInferenceService: new (target: string, creds: unknown, options: object) => RawClient };
  };
  const client = new pkg.inference.GRPCInferenceService(target, credentials.createInsecure(), {
    'grpc.max_receive_message_length': maxMessageSize,
    'grpc.max_send_message_length': maxMessageSize,
    ...channel,
  });
  return {
    call: (rpc, request, options = {}) =>
      new Promise((resolve, reject) => {
        const { metadata, ...callOptions } = options;
        client[rpc]!.call(client, request, metadata ?? new Metadata(), callOptions, (err, res) =>
          err ? reject(err) : resolve(res as never),
        );
      }),
    stream: () =>
      (
        client as unknown as { ModelStreamInfer(): ClientDuplexStream<unknown, Record<string, unknown>> }
      ).ModelStreamInfer(),
    close: () => client.close(),
  };
}

/** The ServiceError a call rejected with (fails the test when it succeeded). */
export async function grpcFailure(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (err) {
    return err as ServiceError;
  }
  throw new Error('expected the call to fail');
}
