import type { Config } from '../core/config.js';
import { createLogger, type Logger } from '../core/log.js';
import { resolvePushAuth } from '../core/push-auth.js';
import type { FunctionRuntime } from '../core/runtime.js';
import { createArchiveApp } from './app.js';
import type { ArchiveStore } from './entry.js';
import { openFileStore } from './file-store.js';

/**
 * Wires archive to the store `ARCHIVE_STORE` names: the file in `DATA_DIR`
 * (local runs) or a Firestore collection (Cloud Run, whose disk does not
 * last). Fails when push authentication is missing on Cloud Run, or when
 * the file store cannot be opened (DATA_DIR unusable, or owned by another
 * live process).
 */
export async function buildArchive(config: Config): Promise<FunctionRuntime> {
  const log = createLogger({
    service: 'archive',
    level: config.logLevel,
  });
  const pushAuth = await resolvePushAuth(config);
  if (config.production && !config.archiveApiKey) {
    log.warn('ARCHIVE_API_KEY is unset: GET /personnages is open to anyone');
  }
  const store = await openStore(config, log);
  const app = createArchiveApp({
    store,
    log,
    pushAuth,
    apiKey: config.archiveApiKey,
    projectId: config.projectId,
  });
  return { app, close: () => store.close() };
}

async function openStore(config: Config, log: Logger): Promise<ArchiveStore> {
  if (config.archiveStore === 'firestore') {
    // Imported only when chosen: the Firestore client is ~30 MiB of memory
    // that a file-store archive would carry for nothing.
    const { openFirestoreStore } = await import('./firestore-store.js');
    return openFirestoreStore({
      projectId: config.projectId,
      collection: config.firestore.collection,
      emulatorHost: config.firestore.emulatorHost,
      log,
    });
  }
  if (config.production) {
    log.warn(
      'ARCHIVE_STORE=file on Cloud Run: the instance disk is lost on ' +
        'every restart and not shared; use ARCHIVE_STORE=firestore',
    );
  }
  return openFileStore({ dir: config.dataDir, log });
}
