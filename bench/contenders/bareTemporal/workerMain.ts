import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import { bareActivities } from './activities.js';
import { readBareConfig } from './config.js';

/** The bare-Temporal contender's worker: its own task queue, connectflow's workflow cache, no payload codec. */
const config = readBareConfig();
const connection = await NativeConnection.connect({ address: config.temporalAddress });
const worker = await Worker.create({
  connection,
  namespace: config.namespace,
  taskQueue: config.taskQueue,
  workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)),
  activities: bareActivities,
  ...(config.maxCachedWorkflows === undefined ? {} : { maxCachedWorkflows: config.maxCachedWorkflows }),
  shutdownGraceTime: '5 seconds',
});
console.log(`bare-temporal worker polling ${config.taskQueue}`);
try {
  await worker.run();
} finally {
  await connection.close();
}
