import type { Config } from './core/config.js';
import type { FunctionName, FunctionRuntime } from './core/runtime.js';

/**
 * The composition root of each function, by functions-framework target.
 * Each is imported on first use, so a process serving one function never
 * loads the others' dependencies (Firestore, the Pub/Sub client): a third
 * or more of its memory.
 */
export const builders: Record<
  FunctionName,
  (config: Config) => Promise<FunctionRuntime>
> = {
  ingest: async (config) =>
    (await import('./ingest/index.js')).buildIngest(config),
  archive: async (config) =>
    (await import('./archive/index.js')).buildArchive(config),
  notify: async (config) =>
    (await import('./notify/index.js')).buildNotify(config),
};
