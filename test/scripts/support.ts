import { spawnTracked, type TrackedProcess } from '../harness/index.js';

/** Runs a script as npm would, without npm in between. */
export function runScript(
  script: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): TrackedProcess {
  return spawnTracked(process.execPath, ['--import', 'tsx', script, ...args], {
    env: { ...process.env, ...env },
  });
}

/** A stack trace line, which a script's error output must never hold. */
export const STACK_LINE = /^\s+at .+[(:]\d+/m;
