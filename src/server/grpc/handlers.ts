/**
 * The RPCs of GRPCInferenceService, each the gRPC face of an HTTP route (the same Event to GraphServer):
 *
 *   ServerLive       GET  /v2/health/live              ServerReady     GET /v2/health/ready
 *   ModelReady       GET  /v2/models/<m>[/versions/<v>]/ready
 *   ServerMetadata   GET  /v2                          ModelMetadata   GET /v2/models/<m>[/versions/<v>]
 *   ModelInfer       POST /v2/models/<m>[/versions/<v>]/infer (the decoded request, ./infer-request.ts)
 *   ModelConfig      GET  /v2/models/<m>[/versions/<v>]/config
 *   ModelStatistics  GET  /v2/models[/<m>[/versions/<v>]]/stats
 *   RepositoryIndex  POST /v2/repository/index {ready}
 *   RepositoryModelLoad / Unload  POST /v2/repository/models/<m>/load|unload {parameters}
 *
 * Readiness answers false (not an error) where HTTP answers 503 or 404; every other failure is the error's gRPC
 * status (./status.ts). ModelStreamInfer is in ./stream.ts.
 */
import type { ServerUnaryCall, UntypedHandleCall, sendUnaryData } from '@grpc/grpc-js';
import type { EventResponse } from '../../event';
import { type CallEvent, type EventRunner, modelPath, runCall, segment } from './events';
import { modelInfer } from './infer';
import { fromProtoParameters } from './parameters';
import type { ProtoInferRequest, ProtoParameter } from './proto';
import { releaseReceivedBytes } from './received-bytes';
import { errorOfResponse, errorOfThrown } from './status';
import { streamInfer } from './stream';

type Unary = (request: never, call: ServerUnaryCall<unknown, unknown>) => Promise<unknown>;

interface NameVersion {
  name?: string;
  version?: string;
}

interface RepositoryRequest {
  model_name?: string;
  parameters: Record<string, ProtoParameter>;
}

/**
 * A unary handler: resolves with the response message, or answers the error's gRPC status. The request is whole by
 * then, so the call first lets go of the socket reads it came in (./received-bytes.ts).
 */
function unary(handler: Unary): UntypedHandleCall {
  return (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
    releaseReceivedBytes(call);
    handler(call.request as never, call).then(
      (response) => callback(null, response),
      (err: unknown) => callback(isServiceError(err) ? err : errorOfThrown(err)),
    );
  };
}

function isServiceError(err: unknown): err is Error & { code: number } {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'number';
}

/** The answer's body when it succeeded; its error otherwise. */
function bodyOf(res: EventResponse): Record<string, unknown> {
  if (res.status >= 400) throw errorOfResponse(res);
  return (res.body ?? {}) as Record<string, unknown>;
}

/**
 * A readiness answer: 200 true; 503 (not ready) and 404 (no such model or version loaded) false, as Triton's
 * ModelReady answers for a model it does not serve; anything else its error.
 */
function readiness(res: EventResponse): boolean {
  if (res.status === 503 || res.status === 404) return false;
  bodyOf(res);
  return true;
}

/** The body of a repository call: its parameters, when it has any. */
function repositoryBody(req: RepositoryRequest): Record<string, unknown> {
  const parameters = fromProtoParameters(req.parameters);
  return parameters === undefined ? {} : { parameters };
}

type Get = (call: ServerUnaryCall<unknown, unknown>, path: string) => Promise<EventResponse>;
type Run = (call: ServerUnaryCall<unknown, unknown>, what: CallEvent) => Promise<EventResponse>;

/** Health, metadata, configuration and statistics: GET routes. */
function readHandlers(get: Get): Record<string, UntypedHandleCall> {
  const ofModel = (req: NameVersion, op: string): string => `${modelPath(req.name, req.version)}${op}`;
  return {
    ServerLive: unary(async (_req, call) => ({ live: readiness(await get(call, '/v2/health/live')) })),
    ServerReady: unary(async (_req, call) => ({ ready: readiness(await get(call, '/v2/health/ready')) })),
    ModelReady: unary(async (req: NameVersion, call) => ({
      ready: readiness(await get(call, ofModel(req, '/ready'))),
    })),
    ServerMetadata: unary(async (_req, call) => bodyOf(await get(call, '/v2'))),
    ModelMetadata: unary(async (req: NameVersion, call) => bodyOf(await get(call, ofModel(req, '')))),
    ModelConfig: unary(async (req: NameVersion, call) => ({
      config: bodyOf(await get(call, ofModel(req, '/config'))),
    })),
    ModelStatistics: unary(async (req: NameVersion, call) =>
      bodyOf(await get(call, req.name ? ofModel(req, '/stats') : '/v2/models/stats')),
    ),
  };
}

/** Triton's repository extension: POST routes. */
function repositoryHandlers(run: Run): Record<string, UntypedHandleCall> {
  const control = (op: string) =>
    unary(async (req: RepositoryRequest, call) => {
      const path = `/v2/repository/models/${segment(req.model_name, 'the model name')}/${op}`;
      bodyOf(await run(call, { method: 'POST', path, body: repositoryBody(req) }));
      return {};
    });
  return {
    RepositoryIndex: unary(async (req: { ready?: boolean }, call) => {
      const body = { ready: req.ready ?? false };
      const models = bodyOf(await run(call, { method: 'POST', path: '/v2/repository/index', body }));
      return { models: Array.isArray(models) ? models : [] };
    }),
    RepositoryModelLoad: control('load'),
    RepositoryModelUnload: control('unload'),
  };
}

/** The service's handlers over `runner` (GraphServer), by RPC name. */
export function inferenceHandlers(runner: EventRunner): Record<string, UntypedHandleCall> {
  const run: Run = (call, what) => runCall(runner, call, what);
  return {
    ...readHandlers((call, path) => run(call, { method: 'GET', path })),
    ...repositoryHandlers(run),
    ModelInfer: unary((req: ProtoInferRequest, call) => modelInfer(runner, req, call)),
    ModelStreamInfer: (call: Parameters<typeof streamInfer>[1]) => streamInfer(runner, call),
  };
}
