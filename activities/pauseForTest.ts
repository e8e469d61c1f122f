import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ActivityContext } from './activityContext.js';

export type PauseStep =
  | 'authorize:after-insert'
  | 'exchange:before-send'
  | 'exchange:after-response'
  | 'save:before-complete'
  | 'refresh:after-response'
  | 'refresh:after-write';

/**
 * Test-only fault injection (CONNECTFLOW_TEST_PAUSE_DIR, never set in production): while a file named
 * after the step exists in that directory, the activity stops there (after writing `<step>.reached`),
 * so a test can kill the worker at exactly that point. The file names the worker's pid and the subject
 * (connection or request id).
 */
export async function pauseForTest(
  ctx: Pick<ActivityContext, 'pauseDir'>,
  step: PauseStep,
  subject = '',
): Promise<void> {
  if (!ctx.pauseDir) return;
  const gate = join(ctx.pauseDir, step);
  if (!existsSync(gate)) return;
  writeFileSync(`${gate}.reached`, `${process.pid}\n${subject}`);
  while (existsSync(gate)) await sleep(50);
}
