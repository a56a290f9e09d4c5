import type { TestProject } from 'vitest/node';
import { freePort, startEmulator } from '../../emulator/launcher.js';

/** The project every test uses on the emulator; never a real one. */
export const TEST_PROJECT_ID = 'relais-test';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `host:port` of the run's Pub/Sub emulator. */
    emulatorHost: string;
    emulatorProjectId: string;
  }
}

/**
 * Starts one real Pub/Sub emulator for the whole run and stops its process
 * group at the end. Tests read its address with `inject('emulatorHost')`;
 * `PUBSUB_EMULATOR_HOST` and `PUBSUB_PROJECT_ID` are also set for the test
 * processes (forked after this runs), so nothing a test starts can reach
 * real Pub/Sub by accident.
 */
export default async function setup(project: TestProject) {
  const emulator = await startEmulator({
    host: '127.0.0.1',
    port: await freePort(),
    projectId: TEST_PROJECT_ID,
  });
  process.stderr.write(
    `Pub/Sub emulator on ${emulator.host} (pid ${emulator.pid}), ` +
      `ready in ${emulator.startupMs} ms\n`,
  );
  project.provide('emulatorHost', emulator.host);
  project.provide('emulatorProjectId', TEST_PROJECT_ID);
  process.env.PUBSUB_EMULATOR_HOST = emulator.host;
  process.env.PUBSUB_PROJECT_ID = TEST_PROJECT_ID;

  return async () => {
    await emulator.stop();
  };
}
