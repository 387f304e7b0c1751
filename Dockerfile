# graphserve on the CPU (ONNX Runtime's CPU provider, as npm ships it).
#   docker build -t graphserve .
#   docker run -p 8080:8080 -p 8081:8081 -v $PWD/models:/models graphserve
# HTTP (Open Inference Protocol) on 8080, gRPC (inference.GRPCInferenceService) on 8081. The same image
# serves KServe and ModelMesh (deploy/kserve, deploy/modelmesh): they pass their own arguments.
# Reviewed, not built, on the project's machines (no Docker engine); test/packaging/deploy.test.ts starts
# the CLI with this file's command, environment and ports and probes its health check's path.
# Image names carry no registry host: they resolve through the Docker engine's configured registry.
ARG BUILD_IMAGE=node:20-bookworm
ARG NODE_IMAGE=node:20-bookworm-slim

# Build: Debian 12, Node 20, g++ 12, cmake 3.25; the addon is built against the onnxruntime-node runtime.
FROM ${BUILD_IMAGE} AS build
RUN apt-get update && apt-get install -y --no-install-recommends cmake && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN npm ci && npm run build
# `npm pack` (prepack) carries the addon and libonnxruntime.so.1 into prebuilds/linux-x64/ (scripts/prebuild.js).
RUN npm pack --pack-destination /tmp
# The app: the packed package installed as a user would (runtime dependencies only, no build tools).
WORKDIR /opt/graphserve
RUN echo '{"name": "graphserve-image", "private": true}' > package.json \
 && npm install --omit=dev --no-audit --no-fund /tmp/graphserve-*.tgz

FROM ${NODE_IMAGE}
COPY --from=build /opt/graphserve /opt/graphserve
ENV NODE_ENV=production HOME=/tmp PATH=/opt/graphserve/node_modules/.bin:$PATH
USER 10001:10001
EXPOSE 8080 8081
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/v2/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["graphserve", "serve", "--model-repository", "/models", "--host", "0.0.0.0", "--port", "8080", "--grpc-port", "8081"]
