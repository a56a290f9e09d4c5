import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { StorageError } from '../../functions/archive/entry.js';
import { openFirestoreStore } from '../../functions/archive/firestore-store.js';
import { silentLogger } from '../../functions/core/log.js';
import { defer } from '../harness/index.js';
import {
  type FirestoreEmulator,
  startFirestoreEmulator,
} from './firestore-emulator.js';
import { entry } from './fixtures.js';
import { describeArchiveStore } from './store-contract.js';

let emulator: FirestoreEmulator;

beforeAll(async () => {
  emulator = await startFirestoreEmulator();
});

/** A store on a collection no other test uses, closed after the test. */
function open(options: { timeoutMs?: number; host?: string } = {}) {
  const store = openFirestoreStore({
    projectId: 'relais-test',
    collection: `t-${randomBytes(4).toString('hex')}`,
    emulatorHost: options.host ?? emulator.host,
    log: silentLogger,
    timeoutMs: options.timeoutMs,
  });
  defer(() => store.close());
  return store;
}

describeArchiveStore('Firestore store', async () => open());

describe('Firestore store', () => {
  it('keeps entries for a second client on the same collection', async () => {
    const collection = `t-${randomBytes(4).toString('hex')}`;
    const options = {
      projectId: 'relais-test',
      collection,
      emulatorHost: emulator.host,
      log: silentLogger,
    };
    const first = openFirestoreStore(options);
    const a = entry(1);
    await first.append(a);
    await first.close();

    const second = openFirestoreStore(options);
    defer(() => second.close());

    expect(await second.append({ ...a, messageId: 'again' })).toBe('duplicate');
    expect((await second.list({ limit: 10 })).items).toEqual([a]);
  });

  it('answers a storage error when Firestore does not answer in time', async () => {
    // Nothing listens on port 9 (discard): every call hangs or fails.
    const store = open({ host: '127.0.0.1:9', timeoutMs: 300 });

    const failure = await store.append(entry(1)).catch((err) => err);
    const closing = Date.now();
    await store.close();

    expect(failure).toBeInstanceOf(StorageError);
    expect(Date.now() - closing).toBeLessThan(2_000);
  });
});
