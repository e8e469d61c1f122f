# connectflow: one image for both processes (the command picks which).
#   api    (default): node --enable-source-maps .build/api.js
#   worker          : node --enable-source-maps --max-old-space-size=384 --max-semi-space-size=16 .build/worker.js (see scripts/stack/serviceNodeFlags.ts)
# The build step compiles both entrypoints with esbuild (scripts/compile.ts); scripts run through tsx
# (a runtime dependency). The worker bundles workflows/index.ts with webpack/swc at start, in a child
# process (worker/writeWorkflowBundle.ts); @temporalio/worker brings what it needs.
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
# The provider catalog, read at start (CONNECTFLOW_CATALOG_DIR, default catalog/ under the working directory).
COPY catalog ./catalog
# scripts/token.ts mints API tokens: docker compose exec api node --import tsx scripts/token.ts create ...
COPY scripts ./scripts
RUN node --import tsx scripts/compile.ts

ENV NODE_ENV=production

# Files stay root-owned (read-only for the app); the process runs unprivileged.
USER node

EXPOSE 3000

CMD ["node", "--enable-source-maps", ".build/api.js"]
