/**
 * The emulator test harness, in one import. The emulator itself is started
 * once per run by global-setup.ts (see vitest.config.ts).
 */
export { defer } from './cleanup.js';
export {
  collectMessages,
  createTestTopology,
  deleteTopology,
  emulatorEnv,
  emulatorHost,
  type MessageCollector,
  TEST_PUSH_TOKEN,
  type TestTopology,
  type TestTopologyOptions,
  testPubSub,
  type UniqueNames,
  uniqueNames,
} from './emulator.js';
export {
  type SpawnTrackedOptions,
  spawnTracked,
  type TrackedProcess,
  trackedProcesses,
  tsxUnderFileSizeLimit,
} from './processes.js';
export {
  type FetchApp,
  type FunctionServer,
  listenOnFreePort,
  startFunctionServer,
} from './server.js';
export { type WaitOptions, waitFor } from './wait.js';
