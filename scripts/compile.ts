import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileServices } from './stack/compileServices.js';

/** `npm run build`: the worker and API compiled into `.build/` (the stack does this itself at every start; images do it once). */
const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));
for (const [name, file] of Object.entries(await compileServices(repoRoot))) console.log(`${name}: ${file}`);
