import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../lib/config.js';
import { createApiToken, createOperatorToken } from '../../lib/store/apiTokens.js';
import { openStore } from '../../lib/store/openStore.js';
import { startStack } from './stack/startStack.js';

/**
 * `npm start`: builds the pinned servers if missing, starts Temporal (+ UI), FerretDB, the demo
 * OAuth2 provider, the worker and the API on fixed local ports, creates the first API token, and
 * prints a curl walkthrough. Ctrl-C stops everything; data stays in .data/ for the next start.
 */
const dataDir = resolve(process.env.CONNECTFLOW_DATA_DIR ?? '.data');
const apiPort = Number(process.env.PORT ?? 3000);
const stack = await startStack({
  dataDir,
  ports: { api: apiPort, temporal: 7233, temporalUi: 8233, mongo: 27017, provider: apiPort + 1 },
  logsToFiles: true,
});

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping...');
  await stack.stop();
  console.log('stopped; data kept in', dataDir);
  process.exit(0);
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
void stack.worker.exited.then(
  (code) => !stopping && console.error(`worker exited (${code}); see ${dataDir}/logs/worker.log`),
);
void stack.api.exited.then((code) => !stopping && console.error(`API exited (${code}); see ${dataDir}/logs/api.log`));

const marker = join(dataDir, 'first-token-issued');
let tokenLine =
  'TOKEN=<the token printed by your first npm start, or: npm run token -- create --account demo --scopes connection:read,connection:edit>';
let operatorLine = 'the operator token printed by your first npm start, or: npm run token -- create --operator';
if (!existsSync(marker)) {
  const store = await openStore({ ...loadConfig(stack.appEnv) });
  const { token } = await createApiToken(store, {
    accountId: 'demo',
    scopes: ['connection:read', 'connection:edit', 'account:admin'],
    name: 'first token',
  });
  const operator = await createOperatorToken(store, { name: 'first operator token' });
  await store.close();
  operatorLine = `operator token ${operator.token}; shown once, keep it`;
  writeFileSync(marker, new Date().toISOString() + '\n');
  tokenLine = `TOKEN=${token}   # account "demo"; shown once, keep it`;
}

const api = stack.apiUrl;
console.log(`
connectflow is running
  API            ${api}
  Temporal UI    ${stack.temporalUiUrl ?? '(external Temporal: ' + stack.temporalAddress + ')'}
  Temporal gRPC  ${stack.temporalAddress}
  MongoDB        ${stack.mongoUri}
  Demo provider  ${stack.provider.issuer}   (log in with any name and password)
  Logs           ${dataDir}/logs/
  Metrics        ${api}/metrics, worker ${stack.workerMetricsUrl}, Temporal SDK ${stack.workerTemporalMetricsUrl}
  Readiness      ${api}/readyz
  UI decoding    ${api}/codec/session   (paste an operator token to read payloads in the Temporal UI:
                 ${operatorLine})

Walkthrough (the Rivery OAuth2 flow):
  ${tokenLine}
  curl -s -H "Authorization: Bearer $TOKEN" ${api}/api/connection_types
  curl -s -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\
       -d '{"datasource_id":"demo","validity_duration":1300}' ${api}/api/oauth2
  # open auth_uri in a browser, sign in, press Continue: the page shows {"connected": true, ...}
  PULL_ID=<pull_id from above>
  curl -s -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\
       -d "{\\"pull_id\\":\\"$PULL_ID\\"}" ${api}/api/oauth2/credentials > credentials.json
  curl -s -X PUT -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\
       -d "{\\"connection_type\\":\\"demo\\",\\"connection_name\\":\\"My demo\\",\\"credentials\\":$(cat credentials.json)}" ${api}/api/connections
  curl -s -H "Authorization: Bearer $TOKEN" ${api}/api/connections

Ctrl-C stops everything.`);
