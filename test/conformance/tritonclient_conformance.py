#!/usr/bin/env python3
"""Drives a running graphserve server with NVIDIA's tritonclient.http and checks every answer.

  python tritonclient_conformance.py --url 127.0.0.1:8080 --expect expectations.json

The expectations file (written by tritonclient.test.ts) holds what the client cannot know by itself:
  {"server": {"name", "version", "extensions"},          # extensions: names that must all be listed
   "models": {model: {"inputs": [meta], "outputs": [meta]}},    # meta: {"name", "datatype", "shape"}
   "samples": {key: {"model", "inputs": {name: tensor}, "outputs": {name: tensor}}},
   "missing": {model: file}}                                   # model files that did not exist
where tensor is {"datatype", "shape", "data"} and sample outputs are reference results (onnxruntime).
Identity models must echo their input exactly; their inputs are defined here.

Prints one JSON line on stdout, [{"call", "ok", "detail"}] in call order, and exits 0 once it is printed.
A call is ok only when the values, dtypes and shapes it got are the expected ones.
"""

import argparse
import json
import sys
import urllib.error
import urllib.request

import numpy as np
import tritonclient.http as httpclient
import tritonclient.http._client as client_module
from tritonclient.utils import InferenceServerException, triton_to_np_dtype

TIMEOUT_S = 60.0  # connection and network timeout of every request
ATOL, RTOL = 1e-6, 1e-4  # float outputs vs the reference (another ONNX Runtime build may round differently)


class RecordingInferResult(client_module.InferResult):
    """tritonclient's InferResult, also keeping the response's Content-Encoding (it decompresses silently)."""

    def __init__(self, response, verbose):
        self.content_encoding = response.get("Content-Encoding")
        super().__init__(response, verbose)


client_module.InferResult = RecordingInferResult


def expect(condition, what):
    if not condition:
        raise AssertionError(what)


def short(value, limit=200):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def to_numpy(tensor):
    """An expectations-file tensor as a numpy array of its datatype."""
    return np.array(tensor["data"], dtype=triton_to_np_dtype(tensor["datatype"])).reshape(tensor["shape"])


def same_tensor(name, got, want):
    """Raises unless got has want's dtype, shape and values (exact except for floats from a model)."""
    expect(got is not None, f"output {name} missing from the response")
    expect(got.dtype == want.dtype, f"{name}: dtype {got.dtype}, want {want.dtype}")
    expect(got.shape == want.shape, f"{name}: shape {got.shape}, want {want.shape}")
    if want.dtype == np.object_:
        # tritonclient gives str for BYTES read from JSON and bytes for binary ones
        values = [v.encode("utf-8") if isinstance(v, str) else v for v in got.ravel()]
        expect(values == list(want.ravel()), f"{name}: {short(values)}, want {short(list(want.ravel()))}")
    elif want.dtype.kind in "iub" or want.dtype == np.float16:
        expect(np.array_equal(got, want), f"{name}: {short(got.tolist())}, want {short(want.tolist())}")
    else:
        close = np.allclose(got, want, rtol=RTOL, atol=ATOL)
        expect(close, f"{name}: {short(got.ravel()[:8].tolist())}, want {short(want.ravel()[:8].tolist())}")


def make_inputs(arrays, datatypes, binary):
    inputs = []
    for name, array in arrays.items():
        tensor = httpclient.InferInput(name, list(array.shape), datatypes[name])
        tensor.set_data_from_numpy(array, binary_data=binary)
        inputs.append(tensor)
    return inputs


def check_infer(client, model, arrays, datatypes, expected, binary_in, binary_out, **kwargs):
    """Infers with every expected output requested in the chosen encoding; checks each output and the encoding."""
    outputs = [httpclient.InferRequestedOutput(name, binary_data=binary_out) for name in expected]
    result = client.infer(model, make_inputs(arrays, datatypes, binary_in), outputs=outputs, **kwargs)
    response = result.get_response()
    for name, want in expected.items():
        same_tensor(name, result.as_numpy(name), want)
    for output in response["outputs"]:
        is_binary = "binary_data_size" in (output.get("parameters") or {})
        expect(is_binary == binary_out, f"{output['name']} came {'binary' if is_binary else 'as JSON'}")
    expect(response.get("model_name") == model, f"model_name {response.get('model_name')!r}")
    return result


def expected_classes(scores, count, labels):
    """Triton's classification of `scores` ([batch, C]): per row the top `count` as b"<%f value>:<index>", with
    ":<label>" where `labels` has one, largest first (equal values in index order)."""
    rows = []
    for row in scores.reshape(scores.shape[0], -1):
        order = sorted(range(len(row)), key=lambda i: (-float(row[i]), i))[:count]
        named = [f":{labels[i]}" if i < len(labels) else "" for i in order]
        rows.append([f"{float(row[i]):f}:{i}{n}".encode() for i, n in zip(order, named)])
    return np.array(rows, dtype=np.object_)


def check_classes(got, scores, count, labels):
    """`got` (BYTES: bytes from binary data, str from JSON, as tritonclient reads them) against expected_classes."""
    want = expected_classes(scores, count, labels)
    expect(got.shape == want.shape, f"shape {got.shape}, want {want.shape}")
    text = [[v.decode() if isinstance(v, bytes) else v for v in row] for row in got]
    expect(text == [[v.decode() for v in row] for row in want], f"classes {text}, want {want.tolist()}")
    return f"{text}"


def summary(result):
    """The outputs of a checked result, for the report: name, datatype, shape, encoding."""

    def encoding(output):
        return "binary" if "binary_data_size" in (output.get("parameters") or {}) else "JSON"

    outputs = result.get_response()["outputs"]
    return "; ".join(f"{o['name']} {o['datatype']}{o['shape']} {encoding(o)}" for o in outputs) + " match"


def missing_files(expectations):
    """Why a reference may be absent: the model files the expectations could not find."""
    files = expectations.get("missing") or {}
    return "missing model files: " + ", ".join(f"{m} ({f})" for m, f in files.items()) if files else "no sample"


def read_sample(expectations, key):
    """A reference sample as (model, inputs, datatypes, outputs), the tensors as numpy arrays."""
    sample = expectations["samples"].get(key)
    expect(sample is not None, f"no reference for {key}: {missing_files(expectations)}")
    inputs = {name: to_numpy(t) for name, t in sample["inputs"].items()}
    datatypes = {name: t["datatype"] for name, t in sample["inputs"].items()}
    outputs = {name: to_numpy(t) for name, t in sample["outputs"].items()}
    return sample["model"], inputs, datatypes, outputs


class Recorder:
    """Runs each call of a check list and records its outcome: every failure is a finding, not a stop."""

    def __init__(self, expectations):
        self.exp = expectations
        self.results = []

    def record(self, call, fn):
        try:
            detail = fn()
            self.results.append({"call": call, "ok": True, "detail": detail or "as expected"})
        except Exception as e:  # noqa: BLE001 - every failure is a finding to report
            detail = f"{type(e).__name__}: {e}".replace("\n", " ")
            self.results.append({"call": call, "ok": False, "detail": detail[:600]})

    def sample(self, key):
        return read_sample(self.exp, key)


class Conformance(Recorder):
    def __init__(self, url, expectations):
        super().__init__(expectations)
        self.url = url
        self.client = httpclient.InferenceServerClient(
            url, concurrency=4, connection_timeout=TIMEOUT_S, network_timeout=TIMEOUT_S
        )

    # --- health and metadata -------------------------------------------------------------------------------

    def server_metadata(self):
        meta = self.client.get_server_metadata()
        want = self.exp["server"]
        problems = [f"{k} {meta.get(k)!r}, want {want[k]!r}" for k in ("name", "version") if meta.get(k) != want[k]]
        lacking = [e for e in want["extensions"] if e not in (meta.get("extensions") or [])]
        if lacking:
            problems.append(f"extensions {meta.get('extensions')!r} lack {lacking}")
        expect(not problems, "; ".join(problems))
        return short(meta)

    def model_metadata(self, model):
        want = self.exp["models"].get(model)
        expect(want is not None, f"no reference for {model}: {missing_files(self.exp)}")
        meta = self.client.get_model_metadata(model)
        expect(meta.get("name") == model, f"name {meta.get('name')!r}")
        for side in ("inputs", "outputs"):
            got = [{k: t.get(k) for k in ("name", "datatype", "shape")} for t in meta.get(side, [])]
            expect(got == want[side], f"{side} {got}, want {want[side]}")
        return short(meta, 300)

    # --- inference -----------------------------------------------------------------------------------------

    def infer_sample(self, key, binary_in, binary_out, **kwargs):
        model, inputs, datatypes, outputs = self.sample(key)
        return check_infer(self.client, model, inputs, datatypes, outputs, binary_in, binary_out, **kwargs)

    def infer_summary(self, key, binary_in, binary_out, **kwargs):
        return summary(self.infer_sample(key, binary_in, binary_out, **kwargs))

    def request_id_and_version(self):
        result = self.infer_sample("iris", True, True, request_id="req-42", model_version="1")
        response = result.get_response()
        expect(response.get("id") == "req-42", f"id {response.get('id')!r}, want 'req-42'")
        expect(response.get("model_version") == "1", f"model_version {response.get('model_version')!r}, want '1'")
        return f"id {response['id']!r}, model_version {response['model_version']!r}"

    def classification(self, binary_out):
        model, inputs, datatypes, outputs = self.sample("iris_batch")
        requested = [httpclient.InferRequestedOutput("probabilities", binary_data=binary_out, class_count=2)]
        result = self.client.infer(model, make_inputs(inputs, datatypes, True), outputs=requested)
        labels = self.exp["labels"].get(model, [])
        return check_classes(result.as_numpy("probabilities"), outputs["probabilities"], 2, labels)

    def compressed_response(self, algorithm):
        result = self.infer_sample("iris", True, True, response_compression_algorithm=algorithm)
        got = result.content_encoding
        expect(got == algorithm, f"response Content-Encoding {got!r}, want {algorithm!r}")
        return f"Content-Encoding {got}"

    def identity(self, model, datatype, array, binary):
        result = check_infer(self.client, model, {"x": array}, {"x": datatype}, {"y": array}, binary, binary)
        if not binary and datatype in ("INT64", "UINT64"):
            # JSON integers, not doubles (as_numpy would turn 2.0**62 back into an exact int64)
            data = result.get_response()["outputs"][0]["data"]
            expect(all(type(v) is int for v in data), f"JSON data not all integers: {short(data)}")
        return f"echoed {short(array.tolist(), 160)}"

    def constant(self, binary_out):
        model, _inputs, _datatypes, outputs = self.sample("constant")
        result = check_infer(self.client, model, {}, {}, outputs, False, binary_out)
        return f"{summary(result)}: {short({n: result.as_numpy(n).tolist() for n in outputs}, 120)}"

    def async_many(self, count=8):
        model, inputs, datatypes, outputs = self.sample("iris_batch")
        rows = []  # alternate the two rows of the batch sample, so that a crossed answer shows
        for i in range(count):
            row = {name: array[i % 2 : i % 2 + 1] for name, array in inputs.items()}
            want = {name: array[i % 2 : i % 2 + 1] for name, array in outputs.items()}
            rows.append((make_inputs(row, datatypes, True), want))
        requested = [httpclient.InferRequestedOutput(name, binary_data=True) for name in outputs]
        pending = [self.client.async_infer(model, tensors, outputs=requested) for tensors, _ in rows]
        for handle, (_tensors, want) in zip(pending, rows):
            result = handle.get_result(block=True, timeout=TIMEOUT_S)
            for name, array in want.items():
                same_tensor(name, result.as_numpy(name), array)
        return f"{count} concurrent async_infer results match their own inputs"

    # --- errors --------------------------------------------------------------------------------------------

    def raw_error(self, path, body):
        """POSTs body as JSON; returns (status, parsed error body) of the 4xx answer."""
        request = urllib.request.Request(
            f"http://{self.url}{path}", data=json.dumps(body).encode(), headers={"content-type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as answer:
                raise AssertionError(f"{path} answered {answer.status}, want an error")
        except urllib.error.HTTPError as e:
            status, error = e.code, json.loads(e.read())
        expect(set(error) == {"error", "code"}, f"error body {short(error)}, want exactly error and code")
        expect(isinstance(error["code"], str) and error["code"], f"code {error['code']!r}")
        return status, error

    def client_error(self, model, datatype, data, status, message_start):
        tensor = {"name": "input", "datatype": datatype, "shape": [1, len(data)], "data": data}
        try:
            self.client.infer(model, make_inputs({"input": to_numpy(tensor)}, {"input": datatype}, False))
        except InferenceServerException as e:
            raised = e
        else:
            raise AssertionError(f"infer {model} with {datatype} succeeded")
        raw_status, body = self.raw_error(f"/v2/models/{model}/infer", {"inputs": [tensor]})
        expect(raised.status() == str(status), f"status {raised.status()!r}, want '{status}'")
        expect(raw_status == status, f"raw status {raw_status}, want {status}")
        expect(raised.message() == body["error"], f"message {raised.message()!r}, want {body['error']!r}")
        expect(body["error"].startswith(message_start), f"error {body['error']!r}, want it to start {message_start!r}")
        return f"[{raised.status()}] {raised.message()} ({body['code']})"

    # --- the list ------------------------------------------------------------------------------------------

    def run(self):
        """Makes every call in order; returns the report."""
        self.run_health_and_metadata()
        self.run_examples()
        self.run_datatypes()
        self.run_special()
        self.client.close()
        return self.results

    def run_health_and_metadata(self):
        c, r = self.client, self.record
        r("is_server_live", lambda: expect(c.is_server_live() is True, "not live"))
        r("is_server_ready", lambda: expect(c.is_server_ready() is True, "not ready"))
        r("get_server_metadata", self.server_metadata)
        r("is_model_ready iris", lambda: expect(c.is_model_ready("iris") is True, "not ready"))
        r("is_model_ready iris version 1", lambda: expect(c.is_model_ready("iris", "1") is True, "not ready"))
        for model in ("iris", "ppocr-cls", "constant"):
            r(f"get_model_metadata {model}", lambda m=model: self.model_metadata(m))

    def run_examples(self):
        r = self.record
        for binary_in in (False, True):
            for binary_out in (False, True):
                name = f"infer iris {'binary' if binary_in else 'JSON'} in, {'binary' if binary_out else 'JSON'} out"
                r(name, lambda i=binary_in, o=binary_out: self.infer_summary("iris", i, o))
        r("infer iris batch of 2", lambda: self.infer_summary("iris_batch", True, True))
        r("infer iris request_id and model_version 1", self.request_id_and_version)
        r("infer iris class_count 2, JSON out", lambda: self.classification(False))
        r("infer iris class_count 2, binary out", lambda: self.classification(True))
        for algorithm in ("gzip", "deflate"):
            kwargs = {"request_compression_algorithm": algorithm}
            r(f"infer iris {algorithm} request", lambda k=kwargs: self.infer_summary("iris", True, True, **k))
            r(f"infer iris {algorithm} response", lambda a=algorithm: self.compressed_response(a))
        r("infer ppocr-cls binary", lambda: self.infer_summary("ppocr-cls", True, True))
        r("infer ppocr-cls JSON", lambda: self.infer_summary("ppocr-cls", False, False))

    def run_datatypes(self):
        r = self.record
        big = np.array([[2**62, -(2**62), 2**53 + 1], [2**63 - 1, -(2**63), -(2**53) - 1]], dtype=np.int64)
        r("infer identity_int64 JSON beyond 2^53", lambda: self.identity("identity_int64", "INT64", big, False))
        r("infer identity_int64 binary beyond 2^53", lambda: self.identity("identity_int64", "INT64", big, True))
        u64 = np.array([[2**64 - 1, 2**63, 2**53 + 1]], dtype=np.uint64)
        r("infer identity_uint64 JSON 2^64-1", lambda: self.identity("identity_uint64", "UINT64", u64, False))
        r("infer identity_uint64 binary 2^64-1", lambda: self.identity("identity_uint64", "UINT64", u64, True))
        utf8 = "\u00e9t\u00e9 \u2603".encode()
        text = np.array([[b"a\x00b", utf8, b""], [b"\x00", b"x\x00", b"plain"]], dtype=object)
        r("infer identity_bytes JSON with NUL and UTF-8", lambda: self.identity("identity_bytes", "BYTES", text, False))
        raw = np.array([[b"\xff\xfe\x00", b"\x80", b"\xc3("], [b"\x00\x00", b"", b"a\x00\xffb"]], dtype=object)
        r("infer identity_bytes binary non-UTF-8 and NUL", lambda: self.identity("identity_bytes", "BYTES", raw, True))
        half = np.array([[1.5, -2.25, 65504.0], [6.1035e-05, -0.0, 5.96e-08]], dtype=np.float16)
        r("infer identity_fp16 JSON", lambda: self.identity("identity_fp16", "FP16", half, False))
        r("infer identity_fp16 binary", lambda: self.identity("identity_fp16", "FP16", half, True))

    def run_special(self):
        r = self.record
        r("infer constant (no inputs) JSON out", lambda: self.constant(False))
        r("infer constant (no inputs) binary out", lambda: self.constant(True))
        r("async_infer iris x8", self.async_many)
        unknown = "model nope does not exist"  # README: 404 {"error": "model nope does not exist, available ..."}
        r("infer unknown model 404", lambda: self.client_error("nope", "FP32", [1.0] * 4, 404, unknown))
        r("infer iris wrong datatype 400", lambda: self.client_error("iris", "FP64", [5.1, 3.5, 1.4, 0.2], 400, ""))


def run_checks(description, endpoints, make):
    """A conformance script's command line: one required flag per (flag, help) of `endpoints`, plus --expect;
    prints make(args, expectations).run() (the recorded results) as one JSON line."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    for flag, help_text in endpoints:
        parser.add_argument(flag, required=True, help=help_text)
    parser.add_argument("--expect", required=True, help="the expectations JSON file")
    args = parser.parse_args()
    with open(args.expect, encoding="utf-8") as f:
        expectations = json.load(f)
    print(json.dumps(make(args, expectations).run()))
    sys.stdout.flush()


def main():
    run_checks(__doc__, [("--url", "host:port of the server")], lambda a, e: Conformance(a.url, e))


if __name__ == "__main__":
    main()
