#!/usr/bin/env python3
"""Drives a running graphserve server with NVIDIA's tritonclient.grpc and checks every answer.

  python tritonclient_grpc_conformance.py --url 127.0.0.1:8081 --expect expectations.json

The expectations file is the one tritonclient_conformance.py reads (its helpers are reused here). Prints one
JSON line on stdout, [{"call", "ok", "detail"}] in call order, and exits 0 once it is printed.
"""

import queue

import numpy as np
import tritonclient.grpc as grpcclient
from tritonclient.utils import InferenceServerException

from tritonclient_conformance import TIMEOUT_S, Recorder, check_classes, expect, run_checks, same_tensor, short


def make_inputs(arrays, datatypes):
    inputs = []
    for name, array in arrays.items():
        tensor = grpcclient.InferInput(name, list(array.shape), datatypes[name])
        tensor.set_data_from_numpy(array)  # tritonclient.grpc always sends raw_input_contents
        inputs.append(tensor)
    return inputs


def check_result(result, model, expected):
    for name, want in expected.items():
        same_tensor(name, result.as_numpy(name), want)
    response = result.get_response()
    expect(response.model_name == model, f"model_name {response.model_name!r}")
    expect(len(response.raw_output_contents) == len(response.outputs), "outputs not all in raw_output_contents")


class GrpcConformance(Recorder):
    def __init__(self, url, expectations):
        super().__init__(expectations)
        self.client = grpcclient.InferenceServerClient(url)

    def infer(self, model, arrays, datatypes, expected, **kwargs):
        outputs = [grpcclient.InferRequestedOutput(name) for name in expected]
        result = self.client.infer(
            model, make_inputs(arrays, datatypes), outputs=outputs, client_timeout=TIMEOUT_S, **kwargs
        )
        check_result(result, model, expected)
        return result

    def infer_sample(self, key, **kwargs):
        model, inputs, datatypes, outputs = self.sample(key)
        result = self.infer(model, inputs, datatypes, outputs, **kwargs)
        shapes = "; ".join(f"{o.name} {o.datatype}{list(o.shape)}" for o in result.get_response().outputs)
        return f"{shapes} match"

    def classification(self):
        model, inputs, datatypes, outputs = self.sample("iris_batch")
        requested = [grpcclient.InferRequestedOutput("probabilities", class_count=2)]
        result = self.client.infer(model, make_inputs(inputs, datatypes), outputs=requested, client_timeout=TIMEOUT_S)
        labels = self.exp["labels"].get(model, [])
        return check_classes(result.as_numpy("probabilities"), outputs["probabilities"], 2, labels)

    # --- health and metadata -------------------------------------------------------------------------------

    def server_metadata(self):
        meta = self.client.get_server_metadata(as_json=True)
        want = self.exp["server"]
        expect(meta.get("name") == want["name"], f"name {meta.get('name')!r}")
        expect(meta.get("version") == want["version"], f"version {meta.get('version')!r}")
        lacking = [e for e in want["extensions"] if e not in meta.get("extensions", [])]
        expect(not lacking, f"extensions {meta.get('extensions')!r} lack {lacking}")
        return short(meta)

    def model_metadata(self, model):
        want = self.exp["models"][model]
        meta = self.client.get_model_metadata(model, as_json=True)
        expect(meta.get("name") == model, f"name {meta.get('name')!r}")
        for side in ("inputs", "outputs"):
            got = [
                {"name": t["name"], "datatype": t["datatype"], "shape": [int(d) for d in t.get("shape", [])]}
                for t in meta.get(side, [])
            ]
            expect(got == want[side], f"{side} {got}, want {want[side]}")
        return short(meta, 300)

    # --- inference -----------------------------------------------------------------------------------------

    def request_id_and_version(self):
        model, inputs, datatypes, outputs = self.sample("iris")
        result = self.infer(model, inputs, datatypes, outputs, request_id="req-42", model_version="1")
        response = result.get_response()
        expect(response.id == "req-42", f"id {response.id!r}, want 'req-42'")
        expect(response.model_version == "1", f"model_version {response.model_version!r}, want '1'")
        return f"id {response.id!r}, model_version {response.model_version!r}"

    def identity(self, model, datatype, array):
        self.infer(model, {"x": array}, {"x": datatype}, {"y": array})
        return f"echoed {short(array.tolist(), 160)}"

    def constant(self):
        model, _inputs, _datatypes, outputs = self.sample("constant")
        result = self.infer(model, {}, {}, outputs)
        return short({n: result.as_numpy(n).tolist() for n in outputs}, 120)

    def stream(self, count=8):
        """count requests on one stream, alternating the two rows of the batch sample, each with its own id."""
        model, inputs, datatypes, outputs = self.sample("iris_batch")
        answers = queue.Queue()
        self.client.start_stream(callback=lambda result, error: answers.put((result, error)))
        try:
            wanted = {}
            for i in range(count):
                row = {name: array[i % 2 : i % 2 + 1] for name, array in inputs.items()}
                wanted[f"s{i}"] = {name: array[i % 2 : i % 2 + 1] for name, array in outputs.items()}
                self.client.async_stream_infer(model, make_inputs(row, datatypes), request_id=f"s{i}")
            self.client.async_stream_infer("nope", make_inputs({k: v[:1] for k, v in inputs.items()}, datatypes))
            seen, errors = set(), []
            for _ in range(count + 1):
                result, error = answers.get(timeout=TIMEOUT_S)
                if error is not None:
                    errors.append(error.message())
                    continue
                request_id = result.get_response().id
                expect(request_id in wanted and request_id not in seen, f"unexpected id {request_id!r}")
                seen.add(request_id)
                for name, array in wanted[request_id].items():
                    same_tensor(name, result.as_numpy(name), array)
        finally:
            self.client.stop_stream()
        expect(len(seen) == count, f"{len(seen)} answers, want {count}")
        expect(len(errors) == 1 and "model nope does not exist" in errors[0], f"errors {errors!r}")
        return f"{count} answers with their own ids and values; the unknown model: {short(errors[0], 80)}"

    def error(self, model, datatype, status, message_start):
        data = np.array([[5.1, 3.5, 1.4, 0.2]], dtype=np.float64 if datatype == "FP64" else np.float32)
        try:
            self.client.infer(model, make_inputs({"input": data}, {"input": datatype}))
        except InferenceServerException as e:
            expect(e.status() == f"StatusCode.{status}", f"status {e.status()!r}, want {status}")
            expect(e.message().startswith(message_start), f"message {e.message()!r}")
            return f"[{e.status()}] {e.message()}"
        raise AssertionError(f"infer {model} with {datatype} succeeded")

    # --- the list ------------------------------------------------------------------------------------------

    def run(self):
        c, r = self.client, self.record
        r("grpc is_server_live", lambda: expect(c.is_server_live() is True, "not live"))
        r("grpc is_server_ready", lambda: expect(c.is_server_ready() is True, "not ready"))
        r("grpc get_server_metadata", self.server_metadata)
        r("grpc is_model_ready iris version 1", lambda: expect(c.is_model_ready("iris", "1") is True, "not ready"))
        for model in ("iris", "ppocr-cls"):
            r(f"grpc get_model_metadata {model}", lambda m=model: self.model_metadata(m))
        r("grpc infer iris raw contents", lambda: self.infer_sample("iris"))
        r("grpc infer iris batch of 2", lambda: self.infer_sample("iris_batch"))
        r("grpc infer iris request_id and model_version 1", self.request_id_and_version)
        r("grpc infer iris class_count 2", self.classification)
        for algorithm in ("gzip", "deflate"):
            kwargs = {"compression_algorithm": algorithm}
            r(f"grpc infer iris {algorithm}-compressed", lambda k=kwargs: self.infer_sample("iris", **k))
        r("grpc infer ppocr-cls", lambda: self.infer_sample("ppocr-cls"))
        big = np.array([[2**62, -(2**62), 2**53 + 1], [2**63 - 1, -(2**63), -(2**53) - 1]], dtype=np.int64)
        r("grpc infer identity_int64 beyond 2^53", lambda: self.identity("identity_int64", "INT64", big))
        u64 = np.array([[2**64 - 1, 2**63, 2**53 + 1]], dtype=np.uint64)
        r("grpc infer identity_uint64 2^64-1", lambda: self.identity("identity_uint64", "UINT64", u64))
        raw = np.array([[b"\xff\xfe\x00", b"\x80", b"\xc3("], [b"\x00\x00", b"", b"a\x00\xffb"]], dtype=object)
        r("grpc infer identity_bytes non-UTF-8 and NUL", lambda: self.identity("identity_bytes", "BYTES", raw))
        half = np.array([[1.5, -2.25, 65504.0], [6.1035e-05, -0.0, 5.96e-08]], dtype=np.float16)
        r("grpc infer identity_fp16", lambda: self.identity("identity_fp16", "FP16", half))
        r("grpc infer constant (no inputs)", self.constant)
        r("grpc stream_infer iris x8 with ids, and an unknown model", self.stream)
        r("grpc infer unknown model NOT_FOUND", lambda: self.error("nope", "FP32", "NOT_FOUND", "model nope"))
        r("grpc infer iris wrong datatype INVALID_ARGUMENT", lambda: self.error("iris", "FP64", "INVALID_ARGUMENT", ""))
        self.client.close()
        return self.results


def main():
    endpoints = [("--url", "host:port of the server's gRPC endpoint")]
    run_checks(__doc__, endpoints, lambda a, e: GrpcConformance(a.url, e))


if __name__ == "__main__":
    main()
