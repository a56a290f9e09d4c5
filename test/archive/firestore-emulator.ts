import { access } from 'node:fs/promises';
import { freePort } from '../../emulator/ports.js';
import { spawnTracked, waitFor } from '../harness/index.js';

/** gcloud's launcher of the Firestore emulator (Debian package layout). */
export const FIRESTORE_EMULATOR =
  '/usr/lib/google-cloud-sdk/platform/cloud-firestore-emulator/cloud_firestore_emulator';

export interface FirestoreEmulator {
  /** `host:port`, as `FIRESTORE_EMULATOR_HOST` takes it. */
  host: string;
  stop(): Promise<void>;
}

/**
 * Starts the Firestore emulator on a free port in its own process group
 * (the launcher is a shell script with a Java child), stopped with the
 * group when the file ends. About 4 s to ready on this machine.
 */
export async function startFirestoreEmulator(): Promise<FirestoreEmulator> {
  await access(FIRESTORE_EMULATOR).catch(() => {
    throw new Error(
      `no Firestore emulator at ${FIRESTORE_EMULATOR}: ` +
        'apt-get install google-cloud-cli-firestore-emulator',
    );
  });
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const child = spawnTracked(
    FIRESTORE_EMULATOR,
    ['start', '--host=127.0.0.1', `--port=${port}`],
    { group: true },
  );
  await waitFor(
    async () => {
      if (child.child.exitCode !== null) {
        throw new Error(`the emulator exited:\n${child.output()}`);
      }
      const res = await fetch(`http://${host}/`, {
        signal: AbortSignal.timeout(1_000),
      });
      return res.ok;
    },
    { timeoutMs: 30_000, intervalMs: 100, message: 'the Firestore emulator' },
  );
  return { host, stop: () => child.stop() };
}
