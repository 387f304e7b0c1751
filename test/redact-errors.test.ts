import { ModelLoadError, NotFoundError, redactMessage } from '../src/errors';

describe('redactMessage', () => {
  it.each([
    ["cannot load '/tmp/x/iris/model.onnx': failed", "cannot load 'model.onnx': failed"],
    [
      'Load model from /tmp/x/iris/model.onnx failed:Protobuf parsing failed.',
      'Load model from model.onnx failed:Protobuf parsing failed.',
    ],
    [
      'Status Message: /onnxruntime_src/onnxruntime/core/providers/cpu/nn/conv.cc:123 onnxruntime::Conv::Compute X is bad',
      'Status Message: onnxruntime::Conv::Compute X is bad',
    ],
    ['at (/home/runner/work/ort/session.cc:88:5) then', 'at () then'],
    ['/srv/models/iris/model-settings.json: unknown keys x', 'model-settings.json: unknown keys x'],
    ['model path /tmp/models/iris does not exist', 'model path iris does not exist'],
  ])('redacts %j', (message, redacted) => {
    expect(redactMessage(message)).toBe(redacted);
  });

  it.each([
    'failed to download model http://127.0.0.1:8080/models/iris/model.onnx: HTTP 404',
    'model URL https://example.com/m/ names a folder; give the URL of a file',
    'no route for GET /v2/models/nope/infer',
    'illegal path prefix /foo/bar, must start with /v2/models',
    "input 'x': shape [2, 3] holds 6 elements",
    'version 1.0 of a/b/c.txt',
  ])('keeps %j as it is', (message) => {
    expect(redactMessage(message)).toBe(message);
  });
});

describe('error bodies', () => {
  it('are redacted while the error keeps its whole message for logs', () => {
    const err = new ModelLoadError("cannot load '/tmp/abc/iris/model.onnx': bad file");
    expect(err.toJSON()).toEqual({ error: "cannot load 'model.onnx': bad file", code: 'GS_MODEL_LOAD' });
    expect(err.message).toBe("cannot load '/tmp/abc/iris/model.onnx': bad file");
    expect(new NotFoundError('no route for GET /v2/x').toJSON().error).toBe('no route for GET /v2/x');
  });
});
