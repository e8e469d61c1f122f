import { parseArgs } from 'node:util';
import { loadConfig } from '../../lib/config.js';
import { generateKeySpec, loadKeyRing } from '../../lib/crypto/keyRing.js';
import { reencryptStoredSecrets } from '../../lib/crypto/reencryptStoredSecrets.js';
import { openStore } from '../../lib/store/openStore.js';

const usage = `usage: npm run keys -- generate --id <keyId>      prints a new key for CONNECTFLOW_ENCRYPTION_KEYS
       npm run keys -- rotate                       re-encrypts every stored secret under the newest key

Rotation: put the new key first in CONNECTFLOW_ENCRYPTION_KEYS (keep the old ones after it), roll it
out to API and worker, run \`npm run keys -- rotate\` (resumable), then drop the old key.`;

const { positionals, values } = parseArgs({ allowPositionals: true, options: { id: { type: 'string' } } });
if (positionals[0] === 'generate' && values.id) {
  console.log(generateKeySpec(values.id));
} else if (positionals[0] === 'rotate') {
  const config = loadConfig();
  const keyRing = loadKeyRing(config);
  const store = await openStore(config);
  try {
    console.log(`re-encrypting stored secrets under key "${keyRing.currentKeyId}"...`);
    const counts = await reencryptStoredSecrets(store, keyRing, (collection, c) =>
      console.log(
        `  ${collection}: ${c.scanned} scanned, ${c.reencrypted} re-encrypted, ${c.alreadyCurrent} already current`,
      ),
    );
    for (const [collection, c] of Object.entries(counts)) {
      console.log(
        `${collection}: ${c.scanned} scanned, ${c.reencrypted} re-encrypted, ${c.alreadyCurrent} already under the newest key, ${c.changedMeanwhile} changed meanwhile (rewritten by a refresh)`,
      );
    }
  } finally {
    await store.close();
  }
} else {
  console.error(usage);
  process.exit(2);
}
