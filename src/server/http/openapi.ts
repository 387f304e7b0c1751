/**
 * The OpenAPI 3 document of graphserve's HTTP API, served at /v2/docs/openapi.json with Swagger UI at
 * /v2/docs (./docs.ts), as MLServer serves its own. The HTTP layer hands every path to GraphServer, so
 * the document is declared here, path by path, rather than derived from fastify routes;
 * test/server/openapi.test.ts validates it and asks the server every documented path and some others,
 * so that what the server answers and what the document says stay the same.
 */
import { SERVER_NAME, SERVER_VERSION } from '../../version';
import { DATATYPES } from '../../../bindings/datatypes';

type Json = Record<string, unknown>;

/** Where Swagger UI is served, and the document beside it. */
export const DOCS_PREFIX = '/v2/docs';
export const OPENAPI_PATH = `${DOCS_PREFIX}/openapi.json`;

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });

function jsonBody(schema: Json, description: string): Json {
  return { description, content: { 'application/json': { schema } } };
}

/** A text answer of media type `type` (Prometheus text, DOT, SVG, HTML, YAML). */
function textBody(type: string, description: string): Json {
  return { description, content: { [type]: { schema: { type: 'string' } } } };
}

const ERROR_REASONS: Readonly<Record<number, string>> = Object.freeze({
  400: 'bad input',
  404: 'unknown model, version or operation',
  405: 'a method the path does not take (Allow lists those it does)',
  413: 'body over the limit',
  500: 'a failure inside a model',
  503: 'not ready, queue full or shutting down',
  504: 'no answer within the request timeout',
});

/** The answers every operation may give: its success, and graphserve's `{"error","code"}` errors. */
function answers(ok: Json, ...statuses: number[]): Json {
  const out: Json = { '200': ok };
  for (const status of statuses) out[String(status)] = jsonBody(ref('Error'), ERROR_REASONS[status] ?? 'error');
  return out;
}

function get(summary: string, ok: Json, tag: string, ...statuses: number[]): Json {
  return { get: { tags: [tag], summary, responses: answers(ok, ...statuses) } };
}

/** A string path parameter. */
function pathParam(name: string, description?: string): Json {
  return {
    name,
    in: 'path',
    required: true,
    ...(description === undefined ? {} : { description }),
    schema: { type: 'string' },
  };
}

const MODEL = pathParam('model');
const VERSION = pathParam('version');
const OPERATION = pathParam('operation', "a model class's custom operation: op_<operation>(event)");
const REQUEST_ID = {
  name: 'x-request-id',
  in: 'header',
  required: false,
  description: 'The request id (logged on every line of the request, answered as `id`); default a UUID.',
  schema: { type: 'string' },
};

const INFER_BODY = {
  required: true,
  content: {
    'application/json': { schema: { oneOf: [ref('InferenceRequest'), ref('MlrunRequest')] } },
    'application/octet-stream': {
      schema: {
        type: 'string',
        format: 'binary',
        description:
          "Triton's binary tensor extension: a JSON InferenceRequest of inference-header-content-length bytes, then the tensors' raw bytes",
      },
    },
  },
};

const INFER_OK = {
  description: 'the outputs: an InferenceResponse for tensor requests, the MLRun response for the MLRun dialect',
  content: {
    'application/json': { schema: { oneOf: [ref('InferenceResponse'), ref('MlrunResponse')] } },
    'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
  },
};

function inference(summary: string): Json {
  return {
    tags: ['inference'],
    summary,
    parameters: [REQUEST_ID],
    requestBody: INFER_BODY,
    responses: answers(INFER_OK, 400, 404, 405, 413, 500, 503, 504),
  };
}

/** The paths of one model, or of one version of it (`base` is /v2/models/{model}[/versions/{version}]). */
function modelPaths(base: string, params: Json[]): Json {
  const p = (item: Json): Json => ({ parameters: params, ...item });
  return {
    [base]: p({
      ...get(
        'Model metadata: inputs and outputs with their datatypes and shapes',
        jsonBody(ref('ModelMetadata'), 'metadata'),
        'models',
        404,
        503,
      ),
      post: inference('Inference (MLRun: POST to the model itself)'),
    }),
    [`${base}/ready`]: p(get('Model readiness', jsonBody({ type: 'object' }, 'ready'), 'health', 404, 503)),
    [`${base}/infer`]: p({ post: inference('Inference (Open Inference Protocol or MLRun dialect)') }),
    [`${base}/predict`]: p({ post: inference('Inference (MLRun name)') }),
    [`${base}/explain`]: p({ post: inference("Explanation: the model's explain() (404 without one)") }),
    [`${base}/config`]: p(
      get("Triton's model configuration", jsonBody({ type: 'object' }, 'config'), 'repository', 404),
    ),
    [`${base}/stats`]: p(get("Triton's statistics", jsonBody(ref('ModelStats'), 'statistics'), 'repository', 404)),
    [`${base}/{operation}`]: {
      parameters: [...params, OPERATION],
      ...Object.fromEntries(
        ['get', 'post', 'put', 'delete', 'patch'].map((method) => [
          method,
          { tags: ['models'], summary: 'A custom operation', responses: answers(jsonBody({}, 'its answer'), 404, 405) },
        ]),
      ),
    },
  };
}

const SERVER_METADATA = jsonBody(ref('ServerMetadata'), 'name, version and extensions');

function paths(): Json {
  return {
    '/': {
      ...get('Server metadata', SERVER_METADATA, 'health'),
      post: inference("Inference, MLRun's stream mode: the model named by the body's `model`, else the first"),
    },
    '/v2': get('Server metadata', SERVER_METADATA, 'health'),
    '/v2/health/live': get('Liveness', jsonBody({ type: 'object' }, 'live'), 'health'),
    '/v2/health/ready': get(
      'Readiness: every model ready (or one, without strict readiness)',
      jsonBody({ type: 'object' }, 'ready'),
      'health',
      503,
    ),
    '/v2/models': {
      ...get('The models served', jsonBody(ref('ModelList'), 'model names'), 'models'),
      post: {
        tags: ['models'],
        summary: 'The models served (as GET)',
        responses: answers(jsonBody(ref('ModelList'), 'model names')),
      },
    },
    '/v2/models/stats': get(
      "Triton's statistics of every model",
      jsonBody(ref('ModelStats'), 'statistics'),
      'repository',
    ),
    ...modelPaths('/v2/models/{model}', [MODEL]),
    ...modelPaths('/v2/models/{model}/versions/{version}', [MODEL, VERSION]),
    '/v2/repository/index': {
      post: {
        tags: ['repository'],
        summary: 'The models of the repository and their state',
        requestBody: {
          content: { 'application/json': { schema: { type: 'object', properties: { ready: { type: 'boolean' } } } } },
        },
        responses: answers(jsonBody({ type: 'array', items: ref('RepositoryIndexEntry') }, 'index'), 400),
      },
    },
    '/v2/repository/models/{model}/load': {
      parameters: [MODEL],
      post: {
        tags: ['repository'],
        summary: 'Load or reload a model; parameters.config (model-settings JSON text) replaces its settings file',
        responses: answers(jsonBody({ type: 'object' }, 'loaded'), 400, 404, 503),
      },
    },
    '/v2/repository/models/{model}/unload': {
      parameters: [MODEL],
      post: {
        tags: ['repository'],
        summary: 'Unload a model once its requests in flight have drained',
        responses: answers(jsonBody({ type: 'object' }, 'unloaded'), 400, 404),
      },
    },
    '/metrics': get('Prometheus metrics', textBody('text/plain', 'Prometheus text'), 'operations'),
    '/graph.dot': get('The graph as Graphviz DOT', textBody('text/vnd.graphviz', 'DOT'), 'operations', 404),
    '/graph.svg': get('The graph as SVG', textBody('image/svg+xml', 'SVG'), 'operations', 404),
    [DOCS_PREFIX]: get('This API in Swagger UI', textBody('text/html', 'HTML'), 'operations'),
    [OPENAPI_PATH]: get('This document', jsonBody({ type: 'object' }, 'OpenAPI 3'), 'operations'),
    [`${DOCS_PREFIX}/json`]: get(
      'This document (Swagger UI reads it here)',
      jsonBody({ type: 'object' }, 'OpenAPI 3'),
      'operations',
    ),
    [`${DOCS_PREFIX}/yaml`]: get('This document as YAML', textBody('application/x-yaml', 'YAML'), 'operations'),
    [`${DOCS_PREFIX}/static/{file}`]: {
      parameters: [pathParam('file')],
      ...get("Swagger UI's files", { description: 'a file' }, 'operations', 404),
    },
  };
}

const TENSOR = {
  type: 'object',
  required: ['name', 'shape', 'datatype'],
  properties: {
    name: { type: 'string' },
    shape: { type: 'array', items: { type: 'integer' } },
    datatype: {
      type: 'string',
      enum: [...DATATYPES],
    },
    parameters: { type: 'object', description: 'binary_data_size for binary tensors, …' },
    data: { type: 'array', items: {}, description: 'row-major values, flat or nested' },
  },
};

const TENSOR_META = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    datatype: { type: 'string' },
    shape: { type: 'array', items: { type: 'integer' } },
  },
};

function schemas(): Json {
  return {
    Error: {
      type: 'object',
      required: ['error', 'code'],
      properties: { error: { type: 'string' }, code: { type: 'string', example: 'GS_MODEL_NOT_FOUND' } },
    },
    ServerMetadata: {
      type: 'object',
      properties: {
        name: { type: 'string' },
        version: { type: 'string' },
        extensions: { type: 'array', items: { type: 'string' } },
      },
    },
    ModelList: { type: 'object', properties: { models: { type: 'array', items: { type: 'string' } } } },
    ModelMetadata: {
      type: 'object',
      properties: {
        name: { type: 'string' },
        versions: { type: 'array', items: { type: 'string' } },
        platform: { type: 'string' },
        inputs: { type: 'array', items: TENSOR_META },
        outputs: { type: 'array', items: TENSOR_META },
      },
    },
    InferenceRequest: {
      type: 'object',
      required: ['inputs'],
      properties: {
        id: { type: 'string' },
        parameters: { type: 'object', description: 'binary_data_output, …' },
        inputs: { type: 'array', items: TENSOR },
        outputs: {
          type: 'array',
          items: { type: 'object', properties: { name: { type: 'string' }, parameters: { type: 'object' } } },
        },
      },
    },
    InferenceResponse: {
      type: 'object',
      properties: {
        model_name: { type: 'string' },
        model_version: { type: 'string' },
        id: { type: 'string' },
        parameters: { type: 'object' },
        outputs: { type: 'array', items: TENSOR },
      },
    },
    MlrunRequest: {
      type: 'object',
      required: ['inputs'],
      description: "MLRun's dialect: inputs as any JSON (a nested list for a single-input ONNX model)",
      properties: { id: { type: 'string' }, inputs: {}, operation: { type: 'string' } },
    },
    MlrunResponse: {
      type: 'object',
      properties: {
        id: { type: 'string' },
        model_name: { type: 'string' },
        model_version: { type: 'string' },
        outputs: { description: 'what predict() returned' },
        timestamp: { type: 'string' },
      },
    },
    RepositoryIndexEntry: {
      type: 'object',
      properties: {
        name: { type: 'string' },
        version: { type: 'string' },
        state: { type: 'string', enum: ['READY', 'UNAVAILABLE', 'LOADING', 'UNLOADING'] },
        reason: { type: 'string' },
      },
    },
    ModelStats: { type: 'object', properties: { model_stats: { type: 'array', items: { type: 'object' } } } },
  };
}

/** The OpenAPI 3 document of the HTTP API (a new object each call). */
export function openApiDocument(): Json {
  return {
    openapi: '3.0.3',
    info: {
      title: `${SERVER_NAME} HTTP API`,
      version: SERVER_VERSION,
      description:
        'The Open Inference Protocol (KServe V2) with Triton\'s binary tensor, repository, config and statistics extensions, and MLRun\'s serving dialect. Every path also answers OPTIONS (204, its methods in Allow). Errors answer {"error", "code"}.',
    },
    tags: ['health', 'models', 'inference', 'repository', 'operations'].map((name) => ({ name })),
    paths: paths(),
    components: { schemas: schemas() },
  };
}
