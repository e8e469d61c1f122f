# connectflow: one image for both processes (the command picks which).
#   api    (default): node --import tsx api/main.ts
#   worker          : node --import tsx worker/main.ts
# TypeScript runs directly through tsx (a runtime dependency); there is no build step.
# The worker bundles workflows/index.ts with webpack/swc at start; @temporalio/worker brings what it needs.
FROM node:20-bookworm-slim

WORKDIR /app

# Dependencies first so this layer is cached until the manifests change.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

COPY tsconfig.json ./
COPY lib ./lib
COPY workflows ./workflows
COPY activities ./activities
COPY api ./api
COPY worker ./worker
# scripts/token.ts mints API tokens: docker compose exec api node --import tsx scripts/token.ts create ...
COPY scripts ./scripts

ENV NODE_ENV=production

# Files stay root-owned (read-only for the app); the process runs unprivileged.
USER node

EXPOSE 3000

CMD ["node", "--import", "tsx", "api/main.ts"]
