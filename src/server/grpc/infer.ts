/**
 * ModelInfer, for unary calls and for each request of a stream: the decoded request (./infer-request.ts) as an
 * Event to POST /v2/models/<m>[/versions/<v>]/infer, GraphServer's answer as a ModelInferResponse
 * (./infer-response.ts), or the error's gRPC status.
 */
import type { Cancellation } from '../../cancellation';
import { type EventRunner, type WatchedCall, modelPath, runCall } from './events';
import { inferBody } from './infer-request';
import { inferResponse } from './infer-response';
import type { ProtoInferRequest, ProtoInferResponse } from './proto';
import { errorOfResponse } from './status';

/** Runs one ModelInferRequest; rejects with its gRPC error. `cancellation`: see runCall. */
export async function modelInfer(
  runner: EventRunner,
  req: ProtoInferRequest,
  call: WatchedCall,
  cancellation?: Cancellation,
): Promise<ProtoInferResponse> {
  const path = `${modelPath(req.model_name, req.model_version)}/infer`;
  const { body, raw } = inferBody(req);
  const res = await runCall(runner, call, { method: 'POST', path, body, id: req.id }, cancellation);
  if (res.status >= 400) throw errorOfResponse(res);
  return inferResponse(res, raw, req.model_name ?? '');
}
