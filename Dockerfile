# One image for all three apps; the command picks the app (docker-compose.yml, deploy/kubernetes):
#   gateway:        node <V8 flags> dist/apps/gateway/src/main.js   (default)
#   migrations:     node dist/apps/gateway/src/main.js migrate
#   OpenAI worker:  node <V8 flags> dist/apps/worker-openai/src/main.js
#   Ollama worker:  node <V8 flags> dist/apps/worker-ollama/src/main.js
#
# The V8 flags keep a process's heap near what it uses; each app has them wherever it starts
# (package.json's start scripts are the reference, test/deploy checks the others against them):
#   --max-semi-space-size=4|8   young generation of 2 x 4 MB (gateway) or 2 x 8 MB (workers) instead of
#                               2 x 16 MB; the gateway holds more at rest, so it gets the smaller one
#   --heap-growing-percent=35   the old generation grows 35% past what the last full GC kept, instead of
#                               up to 4x on a machine with many GB; no cap is added
#   --liftoff-only              undici's HTTP parser (WebAssembly) stays on the baseline compiler: its
#                               optimizing compile takes some 35 MB at once, for no gain we could measure
# docs/performance.md (Memory) has the measurements: with them the gateway and a worker stay under
# 150 MB at 32 connections, for some 10% more CPU per call (garbage collection).
#
# Node 24 (LTS): the newest line package.json's engines names; the code also runs on 20, 22 and 26.
# Install scripts are not run (--ignore-scripts), as in development and CI: BullMQ then uses the
# pure-JS msgpackr instead of the optional native msgpackr-extract, and nothing is compiled.

# --- build: all dependencies, compile the three apps into dist/ ---
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY . .
RUN npm run build

# --- runtime: production dependencies and the compiled apps only ---
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and read-only for the app; config.yaml is mounted at /app/config.yaml at run time.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
# The image's unprivileged `node` user (uid 1000); Kubernetes manifests set runAsUser 1000 to match.
USER node
# Gateway API; the workers' /health/* servers (HEALTH_PORT defaults).
EXPOSE 4000 4001 4002
# Exec form: node itself is the process that gets SIGTERM (no npm or shell in between); the apps
# stop taking work on it and finish what they have.
CMD ["node", "--max-semi-space-size=4", "--heap-growing-percent=35", "--liftoff-only", "dist/apps/gateway/src/main.js"]
