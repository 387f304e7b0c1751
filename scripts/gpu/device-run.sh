#!/usr/bin/env bash
# Runs on the GPU machine (issue 15), from the repository root of the copy a device call brings.
#   bash scripts/gpu/device-run.sh stage   (a call carrying .gpu/a) unpacks the CUDA provider into /tmp/gs
#   bash scripts/gpu/device-run.sh         (the next call, carrying .gpu/b) unpacks the rest and measures
# The CUDA 13 and cuDNN libraries come from the machine's own PyTorch (its nvidia-* packages). The figures
# go to $OUT/gpu.json, the log to $OUT/gpu-log.txt.
set -uo pipefail
S=/tmp/gs
mkdir -p "$S/lib"
unxz_to() { # unpacks $1 (xz) to $2 once
  [ -s "$2" ] || python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"
}
if [ -d .gpu/a ]; then unxz_to .gpu/a/libonnxruntime_providers_cuda.so.xz "$S/lib/libonnxruntime_providers_cuda.so"; fi
if [ "${1:-}" = stage ]; then
  ls -la "$S/lib"
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
  exit 0
fi
[ -s "$S/lib/libonnxruntime_providers_cuda.so" ] || { echo "the CUDA provider was not staged (run with 'stage' first)"; exit 2; }
unxz_to .gpu/b/node.xz "$S/node" && chmod +x "$S/node"
unxz_to .gpu/b/lib/libonnxruntime.so.1.xz "$S/lib/libonnxruntime.so.1"
cp .gpu/b/lib/libonnxruntime_providers_shared.so .gpu/b/lib/graphserve.node "$S/lib/"
nv_libs="$(python3 -c 'import nvidia; print("\n".join(nvidia.__path__))' | while read -r d; do
  find "$d" -name 'lib*.so*' -printf '%h\n'; done | sort -u | tr '\n' ':')"
export LD_LIBRARY_PATH="$nv_libs${LD_LIBRARY_PATH:-}"
export GRAPHSERVE_ADDON="$S/lib/graphserve.node"
echo "node $("$S/node" --version); LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
"$S/node" .gpu/b/dist/bench/gpu/gpu-bench.js --model .gpu/b/models/ppocr-cls.onnx --input-shape 3,48,192 \
  --extra-model .gpu/b/models/ppocr-det.onnx --extra-shape 3,640,640 --out "$OUT/gpu.json" --seconds 2 \
  2>&1 | tee "$OUT/gpu-log.txt"
