# One image for all three apps; docker-compose.yml picks the app with `command:`.
#   gateway:        node dist/apps/gateway/src/main.js   (default)
#   migrations:     node dist/apps/gateway/src/main.js migrate
#   OpenAI worker:  node dist/apps/worker-openai/src/main.js
#   Ollama worker:  node dist/apps/worker-ollama/src/main.js

# --- build: all dependencies, compile the three apps into dist/ ---
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build

# --- production dependencies only ---
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev

# --- runtime ---
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and read-only for the app; config.yaml is mounted at /app/config.yaml at run time.
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
EXPOSE 4000
# Exec form: node itself gets SIGTERM (no npm or shell in between).
CMD ["node", "dist/apps/gateway/src/main.js"]
