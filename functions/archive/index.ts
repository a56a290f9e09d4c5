import type { Config } from '../core/config.js';
import { createLogger } from '../core/log.js';
import { resolvePushToken } from '../core/push-token.js';
import type { FunctionRuntime } from '../core/runtime.js';
import { createArchiveApp } from './app.js';
import { openFileStore } from './file-store.js';

/**
 * Wires archive to its file store in `DATA_DIR`. Fails when the store
 * cannot be opened (DATA_DIR unusable, or owned by another live process).
 */
export async function buildArchive(config: Config): Promise<FunctionRuntime> {
  const log = createLogger({
    service: 'archive',
    projectId: config.projectId,
    level: config.logLevel,
  });
  if (config.production && !config.archiveApiKey) {
    log.warn('ARCHIVE_API_KEY is unset: GET /personnages is open to anyone');
  }
  const pushToken = await resolvePushToken(config);
  const store = await openFileStore({ dir: config.dataDir, log });
  const app = createArchiveApp({
    store,
    log,
    pushToken,
    apiKey: config.archiveApiKey,
  });
  return { app, close: () => store.close() };
}
