# connectflow: one image for both processes (the command picks which).
#   api    (default): node --enable-source-maps .build/api.js
#   worker          : node --enable-source-maps --max-old-space-size=384 --max-semi-space-size=16 .build/worker.js (see scripts/dev/stack/serviceNodeFlags.ts)
#   API tokens      : node .build/token.js create ...   key rotation: node .build/keys.js rotate
# The build stage runs `npm run build` (scripts/build.ts) with the dev dependencies: esbuild compiles
# the entrypoints and Temporal's bundler writes the workflow bundle the worker loads. The image itself
# holds only production dependencies and the built files.
FROM node:20-bookworm-slim AS build

WORKDIR /app

COPY package.json package-lock.json ./
RUN npm ci

COPY tsconfig.json ./
COPY lib ./lib
COPY workflows ./workflows
COPY activities ./activities
COPY api ./api
COPY worker ./worker
COPY scripts/build.ts ./scripts/build.ts
COPY scripts/cli ./scripts/cli
RUN npm run build

FROM node:20-bookworm-slim

WORKDIR /app

# Dependencies first so this layer is cached until the manifests change.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

# The provider catalog files, beside .build/ as in the repository.
COPY catalog ./catalog
COPY --from=build /app/.build ./.build

ENV NODE_ENV=production

# Files stay root-owned (read-only for the app); the process runs unprivileged.
USER node

EXPOSE 3000

CMD ["node", "--enable-source-maps", ".build/api.js"]
