/**
 * `npm run function -- <ingest|archive|notify>`: one function under the
 * real functions-framework server (as on Cloud Run), on its configured
 * port, TypeScript loaded by tsx. Signals are passed on to the server and
 * its exit code becomes this script's.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../functions/core/config.js';
import {
  FUNCTION_NAMES,
  type FunctionName,
} from '../functions/core/runtime.js';
import { runMain, UsageError } from './lib/args.js';
import { assertPortsFree, PORT_VARIABLE, REPO_ROOT } from './lib/local-run.js';

const USAGE = `usage: npm run function -- <${FUNCTION_NAMES.join('|')}>

Runs one function with functions-framework on its port (INGEST_PORT,
ARCHIVE_PORT or NOTIFY_PORT). Start Pub/Sub first: npm run emulator.`;

/** The one argument, checked: a function name. */
function parseFunctionName(argv: readonly string[]): FunctionName {
  if (argv.length !== 1) {
    throw new UsageError(
      argv.length === 0
        ? 'which function? give one name'
        : `expected one function name, got ${argv.length} arguments`,
    );
  }
  const [name] = argv;
  if (!FUNCTION_NAMES.includes(name as FunctionName)) {
    throw new UsageError(`unknown function: ${name}`);
  }
  return name as FunctionName;
}

async function main(): Promise<void> {
  const name = parseFunctionName(process.argv.slice(2));
  const config = loadConfig();
  const port = config.ports[name];
  await assertPortsFree([
    { host: config.host, port, variable: PORT_VARIABLE[name] },
  ]);

  const nodeOptions = [process.env.NODE_OPTIONS, '--import tsx']
    .filter(Boolean)
    .join(' ');
  const child = spawn(
    join(REPO_ROOT, 'node_modules/.bin/functions-framework'),
    [`--target=${name}`, '--source=functions/index.ts', `--port=${port}`],
    {
      cwd: REPO_ROOT,
      stdio: 'inherit',
      // FUNCTION_TARGET, as Cloud Run functions sets it: the entry wires
      // this function at once instead of on its first request.
      env: { ...process.env, NODE_OPTIONS: nodeOptions, FUNCTION_TARGET: name },
    },
  );
  // Ctrl-C reaches the server from the terminal too; a SIGTERM sent to
  // this script alone (by npm or a supervisor) must reach it as well.
  const forward = (signal: NodeJS.Signals) => {
    if (child.exitCode === null) child.kill(signal);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, forward);
  }
  const { code, signal } = await new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
  }>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  process.exitCode = code ?? 128 + (signal ? constants.signals[signal] : 0);
}

runMain(USAGE, main);
