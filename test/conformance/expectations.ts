/**
 * What tritonclient_conformance.py checks answers against, computed here: the server's identity (name and
 * version from package.json), each model's metadata and reference outputs for fixed inputs, both from
 * onnxruntime-node running the same model files, independently of graphserve's engine.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';

/** A tensor as the Python script reads it (numbers only: every reference value here fits a double exactly). */
export interface JsonTensor {
  datatype: string;
  shape: number[];
  data: number[];
}

export interface TensorMeta {
  name: string;
  datatype: string;
  shape: number[];
}

export interface Expectations {
  server: { name: string; version: string; extensions: string[] };
  models: Record<string, { inputs: TensorMeta[]; outputs: TensorMeta[] }>;
  samples: Record<string, { model: string; inputs: Record<string, JsonTensor>; outputs: Record<string, JsonTensor> }>;
  /** Models whose file did not exist: name -> the file. */
  missing: Record<string, string>;
  /** The ONNX file of each model that exists (the repository script sends one as a load's file override). */
  files: Record<string, string>;
  /** Class names of the models whose settings give `labels` (classification answers name the classes). */
  labels: Record<string, string[]>;
}

/** A model served by the test: its name in the repository, its ONNX file, and its settings' labels. */
export interface ServedModel {
  name: string;
  file: string;
  labels?: string[];
}

/** onnxruntime-node's tensor type -> OIP datatype. */
const DATATYPES: Partial<Record<string, string>> = {
  bool: 'BOOL',
  int8: 'INT8',
  int16: 'INT16',
  int32: 'INT32',
  int64: 'INT64',
  uint8: 'UINT8',
  uint16: 'UINT16',
  uint32: 'UINT32',
  uint64: 'UINT64',
  float16: 'FP16',
  float32: 'FP32',
  float64: 'FP64',
  string: 'BYTES',
};

function datatypeOf(type: string): string {
  const datatype = DATATYPES[type];
  if (datatype === undefined) throw new Error(`no OIP datatype for onnxruntime type ${type} `);
  return datatype;
}

function metaOf(values: readonly ort.InferenceSession.ValueMetadata[]): TensorMeta[] {
  return values.map((v) => {
    if (!v.isTensor) throw new Error(`${v.name} is not a tensor`);
    // symbolic dimensions ('batch', 'p2o.DynamicDimension.0') are variable: -1 in OIP metadata
    return { name: v.name, datatype: datatypeOf(v.type), shape: v.shape.map((d) => (typeof d === 'number' ? d : -1)) };
  });
}

function jsonOf(tensor: ort.Tensor): JsonTensor {
  const data = Array.from(tensor.data as ArrayLike<number | bigint>, (v) => {
    if (typeof v === 'bigint' && !Number.isSafeInteger(Number(v))) throw new Error(`${v} does not fit a double`);
    return Number(v);
  });
  return { datatype: datatypeOf(tensor.type), shape: [...tensor.dims], data };
}

/** Float32 data of the given shape, with values that vary over the whole range of [-1, 1]. */
function pattern(shape: number[]): ort.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return new ort.Tensor(
    'float32',
    Float32Array.from({ length: size }, (_, i) => Math.sin(i * 0.37)),
    shape,
  );
}

/** Inputs of each sample: iris measurements (cm), a synthetic 48x192 image, and nothing for the constant model. */
function sampleInputs(): Record<string, { model: string; feeds: Record<string, ort.Tensor> }> {
  const iris = (rows: number[][]): Record<string, ort.Tensor> => ({
    input: new ort.Tensor('float32', Float32Array.from(rows.flat()), [rows.length, 4]),
  });
  return {
    iris: { model: 'iris', feeds: iris([[5.1, 3.5, 1.4, 0.2]]) },
    iris_batch: {
      model: 'iris',
      feeds: iris([
        [6.7, 3.0, 5.2, 2.3],
        [5.9, 3.0, 4.2, 1.5],
      ]),
    },
    'ppocr-cls': { model: 'ppocr-cls', feeds: { x: pattern([1, 3, 48, 192]) } },
    constant: { model: 'constant', feeds: {} },
  };
}

/** What `graphserve serve --model-repository` lists in server metadata (Triton's extension names). */
const REPOSITORY_SERVER_EXTENSIONS = [
  'binary_tensor_data',
  'classification',
  'model_repository',
  'model_configuration',
  'statistics',
];

/**
 * Expectations for the models that exist among `models` (a missing file is left out, so the script reports
 * the calls that need it as failed, naming the model).
 */
export async function buildExpectations(root: string, models: ServedModel[]): Promise<Expectations> {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const expectations: Expectations = {
    server: { name: 'graphserve', version: pkg.version, extensions: REPOSITORY_SERVER_EXTENSIONS },
    models: {},
    samples: {},
    missing: {},
    files: {},
    labels: {},
  };
  const sessions = new Map<string, ort.InferenceSession>();
  for (const model of models) {
    if (!existsSync(model.file)) {
      expectations.missing[model.name] = model.file;
      continue;
    }
    const session = await ort.InferenceSession.create(model.file, { intraOpNumThreads: 1 });
    sessions.set(model.name, session);
    expectations.files[model.name] = model.file;
    if (model.labels !== undefined) expectations.labels[model.name] = model.labels;
    expectations.models[model.name] = {
      inputs: metaOf(session.inputMetadata),
      outputs: metaOf(session.outputMetadata),
    };
  }
  for (const [key, { model, feeds }] of Object.entries(sampleInputs())) {
    const session = sessions.get(model);
    if (session === undefined) continue;
    const results = await session.run(feeds);
    expectations.samples[key] = {
      model,
      inputs: Object.fromEntries(Object.entries(feeds).map(([name, t]) => [name, jsonOf(t)])),
      outputs: Object.fromEntries(Object.entries(results).map(([name, t]) => [name, jsonOf(t)])),
    };
  }
  await Promise.all([...sessions.values()].map((s) => s.release()));
  return expectations;
}
