# Tablao Manager image: `docker build -t tablao .` then
# `docker run -p 8080:8080 -v tablao-data:/data tablao`.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Runtime dependencies only: the image already has Bun (the npm `bun` package is a dev dependency).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM oven/bun:1.4-slim
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY src ./src
COPY openapi ./openapi
RUN mkdir -p /data && chown bun:bun /data
USER bun
# Database, storage and the optional flamenco-manager.yaml and scripts/ live in the volume.
VOLUME ["/data"]
WORKDIR /data
ENV TABLAO_LISTEN=:8080
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD bun -e "fetch('http://127.0.0.1:8080/api/v3/version').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
CMD ["bun", "/app/src/manager/main.ts"]
