#!/usr/bin/env python3
"""Drives a graphserve server in explicit model-control mode with tritonclient.grpc and tritonclient.http:
Triton's model repository (index, load, load with a config override, unload), model configuration and
statistics extensions, over both protocols.

  python tritonclient_repository.py --grpc 127.0.0.1:8081 --http 127.0.0.1:8080 --expect expectations.json

The server serves the conformance repository with `--model-control-mode explicit --load-model iris`. Prints
one JSON line on stdout, [{"call", "ok", "detail"}] in call order, and exits 0 once it is printed.
"""

import json

import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

from tritonclient_conformance import TIMEOUT_S, Recorder, expect, run_checks, short
from tritonclient_grpc_conformance import check_result, make_inputs


class Repository(Recorder):
    def __init__(self, grpc_url, http_url, expectations):
        super().__init__(expectations)
        self.grpc = grpcclient.InferenceServerClient(grpc_url)
        self.http = httpclient.InferenceServerClient(http_url, connection_timeout=TIMEOUT_S, network_timeout=TIMEOUT_S)

    def infer_grpc(self, key, model=None):
        sample_model, inputs, datatypes, outputs = self.sample(key)
        model = model or sample_model
        requested = [grpcclient.InferRequestedOutput(name) for name in outputs]
        result = self.grpc.infer(model, make_inputs(inputs, datatypes), outputs=requested)
        check_result(result, model, outputs)

    def iris_file(self):
        with open(self.exp["files"]["iris"], "rb") as f:
            return f.read()

    def load_from_files(self, client, name):
        """load_model with the iris model as a file override (gRPC sends bytes, HTTP base64), then infer on it."""
        client.load_model(name, config=json.dumps({"batching": False}), files={"file:1/model.onnx": self.iris_file()})
        expect(client.is_model_ready(name), f"{name} not ready after its load")
        config = client.get_model_config(name, as_json=True)["config"] if client is self.grpc else client.get_model_config(name)
        expect(int(config.get("max_batch_size", 0)) == 0, f"max_batch_size {config.get('max_batch_size')!r}")
        self.infer_grpc("iris", name)
        client.unload_model(name)
        return f"{name} loaded from the request's files (version 1, no batching), inference matches iris, unloaded"

    # --- gRPC ----------------------------------------------------------------------------------------------

    def grpc_index(self):
        index = self.grpc.get_model_repository_index(as_json=True).get("models", [])
        states = {m["name"]: m.get("state") for m in index}
        expect(states.get("iris") == "READY", f"iris {states.get('iris')!r}")
        expect(states.get("ppocr-cls") == "UNAVAILABLE", f"ppocr-cls {states.get('ppocr-cls')!r}")
        return short(states, 300)

    def grpc_load(self):
        expect(not self.grpc.is_model_ready("ppocr-cls"), "ppocr-cls ready before its load")
        self.grpc.load_model("ppocr-cls")
        expect(self.grpc.is_model_ready("ppocr-cls"), "ppocr-cls not ready after its load")
        self.infer_grpc("ppocr-cls")
        return "loaded; its inference matches the reference"

    def grpc_config(self):
        config = self.grpc.get_model_config("iris", as_json=True)["config"]
        expect(config.get("name") == "iris", f"name {config.get('name')!r}")
        expect(config.get("platform") == "onnxruntime_onnx", f"platform {config.get('platform')!r}")
        inputs = [(i["name"], i["data_type"]) for i in config.get("input", [])]
        expect(inputs == [("input", "TYPE_FP32")], f"input {inputs}")
        return short(config, 300)

    def grpc_statistics(self):
        self.infer_grpc("iris")
        stats = self.grpc.get_inference_statistics("iris", as_json=True)["model_stats"]
        expect(len(stats) == 1 and stats[0]["name"] == "iris", f"model_stats {short(stats)}")
        count = int(stats[0].get("inference_count", 0))
        success = int(stats[0]["inference_stats"]["success"].get("count", 0))
        expect(count >= 1 and success >= 1, f"inference_count {count}, success {success}")
        return f"inference_count {count}, success {success}"

    def grpc_load_override(self):
        self.grpc.load_model("iris", config=json.dumps({"batching": False}))
        config = self.grpc.get_model_config("iris", as_json=True)["config"]
        expect(int(config.get("max_batch_size", 0)) == 0, f"max_batch_size {config.get('max_batch_size')!r}")
        self.infer_grpc("iris")
        return "reloaded without batching: max_batch_size 0, inference matches"

    def http_load_triton_config(self):
        self.http.load_model("iris", config=json.dumps({"max_batch_size": 4, "dynamic_batching": {}}))
        config = self.http.get_model_config("iris")
        expect(int(config.get("max_batch_size", 0)) == 4, f"max_batch_size {config.get('max_batch_size')!r}")
        self.http.load_model("iris", config=json.dumps(self.grpc.get_model_config("iris", as_json=True)["config"]))
        again = self.http.get_model_config("iris")
        expect(again == config, f"reloaded from its own config: {short(again)} != {short(config)}")
        self.infer_grpc("iris")
        return "reloaded from Triton's config, then from the config gRPC's ModelConfig answered: unchanged"

    def grpc_unload(self):
        self.grpc.unload_model("ppocr-cls")
        expect(not self.grpc.is_model_ready("ppocr-cls"), "ppocr-cls still ready")
        try:
            self.infer_grpc("ppocr-cls")
        except InferenceServerException as e:
            expect(e.status() == "StatusCode.NOT_FOUND", f"status {e.status()!r}")
            return f"unloaded; inference answers [{e.status()}]"
        raise AssertionError("inference on the unloaded model succeeded")

    def grpc_load_unknown(self):
        try:
            self.grpc.load_model("nope")
        except InferenceServerException as e:
            expect(e.status() == "StatusCode.NOT_FOUND", f"status {e.status()!r}")
            return f"[{e.status()}] {e.message()}"
        raise AssertionError("loading a model without a folder succeeded")

    # --- HTTP ----------------------------------------------------------------------------------------------

    def http_index(self):
        index = self.http.get_model_repository_index()
        states = {m["name"]: m.get("state") for m in index}
        expect(states.get("iris") == "READY", f"iris {states.get('iris')!r}")
        return short(states, 300)

    def http_load_unload(self):
        self.http.load_model("ppocr-cls")
        expect(self.http.is_model_ready("ppocr-cls"), "ppocr-cls not ready after its load")
        self.http.unload_model("ppocr-cls")
        expect(not self.http.is_model_ready("ppocr-cls"), "ppocr-cls still ready after its unload")
        return "loaded, ready, unloaded, not ready"

    def http_config_and_statistics(self):
        config = self.http.get_model_config("iris")
        expect(config.get("name") == "iris", f"config name {config.get('name')!r}")
        stats = self.http.get_inference_statistics("iris")["model_stats"]
        expect(stats[0]["inference_count"] >= 1, f"inference_count {stats[0]['inference_count']}")
        return f"max_batch_size {config.get('max_batch_size')}, inference_count {stats[0]['inference_count']}"

    def run(self):
        r = self.record
        r("grpc get_model_repository_index (explicit)", self.grpc_index)
        r("grpc load_model ppocr-cls, then infer", self.grpc_load)
        r("grpc get_model_config iris", self.grpc_config)
        r("grpc get_inference_statistics iris", self.grpc_statistics)
        r("grpc load_model iris with a config override", self.grpc_load_override)
        r("grpc unload_model ppocr-cls", self.grpc_unload)
        r("grpc load_model unknown NOT_FOUND", self.grpc_load_unknown)
        r("http get_model_repository_index (explicit)", self.http_index)
        r("http load_model and unload_model ppocr-cls", self.http_load_unload)
        r("http get_model_config and get_inference_statistics iris", self.http_config_and_statistics)
        r("http load_model iris with Triton's model config", self.http_load_triton_config)
        r("grpc load_model with files (bytes)", lambda: self.load_from_files(self.grpc, "sent-grpc"))
        r("http load_model with files (base64)", lambda: self.load_from_files(self.http, "sent-http"))
        self.grpc.close()
        self.http.close()
        return self.results


def main():
    endpoints = [("--grpc", "host:port of the server's gRPC endpoint"), ("--http", "host:port of the server's HTTP endpoint")]
    run_checks(__doc__, endpoints, lambda a, e: Repository(a.grpc, a.http, e))


if __name__ == "__main__":
    main()
