# Tablao's images, one stage each (README.md, "Docker"):
#   docker build -t tablao .                               the Manager (the last stage, the default)
#   docker build -t tablao-worker --target worker .        a render worker with Blender and FFmpeg
# Both run as the image's user `bun` (uid 1000); for a bind-mounted folder owned by someone else,
# run with `--user "$(id -u):$(id -g)"` of that folder's owner instead of changing its ownership.

# The Bun of package-lock.json, so the images run what the tests ran.
ARG BUN_VERSION=1.4.5

FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Runtime dependencies only: the images bring their own Bun, so the `bun` dev dependency (and its
# install script) is not needed; the other runtime packages need no install script.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM oven/bun:${BUN_VERSION}-slim AS app
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY src ./src
# Where compose.yaml mounts the shared storage: a new named volume takes this folder's owner, so
# the worker (user bun) can write its renders there.
RUN mkdir -p /shared && chown bun:bun /shared

# The worker: its credentials and queue of undelivered updates live in the /worker volume, so
# a re-created container keeps its identity. Debian's Blender is old (3.4 on bookworm) but runs
# Flamenco's job types; a studio with its own Blender mounts it and sets the Manager's `blender`
# variable to it. The two packages make this image well over 1 GB.
FROM app AS worker
RUN apt-get update \
  && apt-get install -y --no-install-recommends blender ffmpeg \
  && rm -rf /var/lib/apt/lists/* \
  && mkdir -p /worker \
  && chown bun:bun /worker
USER bun
ENV FLAMENCO_HOME=/worker
VOLUME ["/worker"]
WORKDIR /worker
# Flags follow the image name: `-manager http://MANAGER:8080/`; without one the worker looks for
# the Manager on the local network (UPnP/SSDP), which needs `--network host`.
ENTRYPOINT ["bun", "/app/src/worker/main.ts"]

# The Manager. No TABLAO_* environment here: the environment overrides flamenco-manager.yaml, and
# the defaults (listen :8080, data in the working directory) are already what the image needs.
FROM app AS manager
RUN mkdir -p /data && chown bun:bun /data
USER bun
# Database, storage, backups and the optional flamenco-manager.yaml and scripts/ live here.
VOLUME ["/data"]
WORKDIR /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["bun", "-e", "fetch('http://127.0.0.1:8080/api/v3/version').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Arguments follow the image name: `--config FILE`, `token list`, `restore FILE`.
ENTRYPOINT ["bun", "/app/src/manager/main.ts"]
