import { z } from 'zod';
import { wholeNumber } from './number-text.js';

/**
 * A Pub/Sub topic or subscription id: 3 to 255 characters, starting with a
 * letter, from `[A-Za-z0-9-_.~+%]`, not starting with `goog`. The emulator
 * accepts names the real service refuses, so we check them ourselves.
 * https://cloud.google.com/pubsub/docs/pubsub-basics#resource_names
 */
export const resourceName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$/, 'not a valid Pub/Sub name')
  .refine((s) => !s.startsWith('goog'), 'must not start with "goog"');

/**
 * The most keys one instance may remember. lru-cache allocates its tables
 * for `max` entries at once, and each kept answer costs about 0.7 KB: a
 * million keys is already some 700 MB at worst.
 */
export const MAX_IDEMPOTENCY_KEYS = 1_000_000;

const port = wholeNumber(1, 65535);

const positiveInt = (max: number) => wholeNumber(1, max);

/** A comma-separated list; blanks around items are dropped. */
const list = z
  .string()
  .default('')
  .transform((s) =>
    s
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== ''),
  );

/** Host and port without a scheme; the Node client splits it on ':'. */
const emulatorHost = z
  .string()
  .regex(
    /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*:\d{1,5}$/,
    'must be host:port with an IPv4 address or a name (no scheme, no IPv6)',
  )
  .refine((s) => {
    const port = Number(s.slice(s.lastIndexOf(':') + 1));
    return port >= 1 && port <= 65535;
  }, 'its port must be from 1 to 65535');

/** The ways archive and notify can authenticate a push. */
export const PUSH_AUTH_MODES = ['token', 'oidc'] as const;

/**
 * How pushes are authenticated: the local secret in the endpoint's query
 * string (the emulator sends no token), or the OIDC token Pub/Sub signs
 * for `serviceAccount` with audience `audience`.
 * https://cloud.google.com/pubsub/docs/authenticate-push-subscriptions
 */
export type PushAuthConfig =
  | { mode: 'token' }
  | { mode: 'oidc'; audience: string; serviceAccount: string };

/** The functions that receive pushes and so need push authentication. */
const PUSH_RECEIVERS = ['archive', 'notify'];

/** Every variable relais reads, each with the default `npm start` needs. */
const envSchema = z.object({
  PUBSUB_EMULATOR_HOST: emulatorHost.optional(),
  PUBSUB_PROJECT_ID: z
    .string()
    .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'not a valid project id')
    .default('relais-local'),
  TOPIC: resourceName.default('personnages'),
  INGEST_PORT: port.default(8080),
  ARCHIVE_PORT: port.default(8081),
  NOTIFY_PORT: port.default(8082),
  /** The interface the local servers bind to. */
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('./data'),
  /** Secret in the push endpoint URL; read from DATA_DIR when unset. */
  PUSH_TOKEN: z
    .string()
    .regex(/^[A-Za-z0-9_-]{16,128}$/, 'must be 16 to 128 URL-safe characters')
    .optional(),
  PUBLISH_TIMEOUT_MS: positiveInt(60_000).default(5_000),
  PUBLISH_BATCH_DELAY_MS: wholeNumber(0, 1_000).default(1),
  LOG_LEVEL: z
    .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
    .default('info'),
  /** Largest request body ingest reads, in bytes. */
  MAX_BODY_BYTES: positiveInt(9_000_000).default(65_536),
  /** API keys ingest accepts (comma-separated, several for rotation). */
  INGEST_API_KEYS: list,
  /** Standard Webhooks secrets (`whsec_...`, comma-separated). */
  WEBHOOK_SECRETS: list,
  /** GitHub `X-Hub-Signature-256` secrets (comma-separated). */
  GITHUB_WEBHOOK_SECRETS: list,
  WEBHOOK_TOLERANCE_SECONDS: positiveInt(86_400).default(300),
  /** Origins allowed by CORS on ingest (comma-separated); none by default. */
  CORS_ORIGINS: list,
  IDEMPOTENCY_TTL_HOURS: positiveInt(24 * 30).default(24),
  IDEMPOTENCY_MAX_KEYS: positiveInt(MAX_IDEMPOTENCY_KEYS).default(100_000),
  /** API key required by `GET /personnages` when set. */
  ARCHIVE_API_KEY: z
    .string()
    .min(16, 'must be at least 16 characters')
    .optional(),
  /** API key required by notify's `/subscribe` and `/notifier` when set. */
  NOTIFY_API_KEY: z
    .string()
    .min(16, 'must be at least 16 characters')
    .optional(),
  /** How long notify waits for one HTTP subscriber, in milliseconds. */
  CALLBACK_TIMEOUT_MS: positiveInt(60_000).default(5_000),
  /** Set by Cloud Run; its presence means production. */
  K_SERVICE: z.string().optional(),
  /** Set by Cloud Run functions: the entry point this instance serves. */
  FUNCTION_TARGET: z.string().optional(),
  /** How archive and notify authenticate pushes (see push-auth.ts). */
  PUSH_AUTH: z.enum(PUSH_AUTH_MODES).optional(),
  /** The `aud` Pub/Sub puts in its OIDC tokens (`oidcToken.audience`). */
  PUSH_AUDIENCE: z.string().min(1).max(2048).optional(),
  /** The only identity allowed to push (`oidcToken.serviceAccountEmail`). */
  PUSH_SERVICE_ACCOUNT: z
    .string()
    .regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'must be an email address')
    .optional(),
  /** Explicit opt-in to the query-string token on Cloud Run. */
  ALLOW_PUSH_TOKEN_IN_PRODUCTION: z
    .enum(['true', 'false'], 'must be true or false')
    .default('false'),
  /** Where archive keeps its entries. */
  ARCHIVE_STORE: z.enum(['file', 'firestore']).default('file'),
  /** The collection of the Firestore archive (one document per event). */
  FIRESTORE_COLLECTION: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,100}$/, 'must be 1 to 100 of [A-Za-z0-9_-]')
    .default('personnages'),
  /** host:port of the Firestore emulator; real Firestore when unset. */
  FIRESTORE_EMULATOR_HOST: emulatorHost.optional(),
});

/** The parsed, frozen configuration of every function and script. */
export interface Config {
  /** `host:port` of the emulator, or undefined for real Pub/Sub. */
  emulatorHost: string | undefined;
  projectId: string;
  topic: string;
  ports: { ingest: number; archive: number; notify: number };
  host: string;
  dataDir: string;
  pushToken: string | undefined;
  publishTimeoutMs: number;
  /**
   * How long ingest's publisher waits to fill a batch. Each webhook's 202
   * waits for its publish, so this is latency added to every webhook, and
   * with few senders in flight it bounds throughput (bench/NOTES.md).
   */
  publishBatchDelayMs: number;
  logLevel: string;
  production: boolean;
  maxBodyBytes: number;
  ingestApiKeys: readonly string[];
  webhookSecrets: readonly string[];
  githubWebhookSecrets: readonly string[];
  webhookToleranceSeconds: number;
  corsOrigins: readonly string[];
  idempotencyTtlMs: number;
  idempotencyMaxKeys: number;
  archiveApiKey: string | undefined;
  notifyApiKey: string | undefined;
  /** The target this instance serves (`FUNCTION_TARGET`), when known. */
  functionTarget: string | undefined;
  callbackTimeoutMs: number;
  /**
   * Undefined only on Cloud Run without `PUSH_AUTH`: a push receiver then
   * refuses to start (see `pushAuthOf`); ingest does not need it.
   */
  pushAuth: PushAuthConfig | undefined;
  archiveStore: 'file' | 'firestore';
  firestore: { collection: string; emulatorHost: string | undefined };
}

/**
 * One complaint per setting: zod can raise two for one value (a number
 * too big both for its maximum and for a safe integer).
 */
export function firstIssuePerPath<I extends { path: PropertyKey[] }>(
  issues: readonly I[],
): I[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = issue.path.map(String).join('.');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Parses the environment once. The emulator is the default locally; on
 * Cloud Run (`K_SERVICE` set) it is used only when asked for. A bad value
 * throws a `ConfigError` naming the variable, never echoing its value.
 */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
): Readonly<Config> {
  const defined = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v !== ''),
  );
  const parsed = envSchema.safeParse(defined);
  if (!parsed.success) {
    const lines = firstIssuePerPath(parsed.error.issues).map(
      (i) => `  ${i.path.join('.')}: ${i.message}`,
    );
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const production = e.K_SERVICE !== undefined;
  const pushAuth = pushAuthFrom(e, production);
  if (
    pushAuth === undefined &&
    PUSH_RECEIVERS.includes(e.FUNCTION_TARGET ?? '')
  ) {
    throw missingPushAuth();
  }
  return Object.freeze({
    emulatorHost:
      e.PUBSUB_EMULATOR_HOST ?? (production ? undefined : '127.0.0.1:8085'),
    projectId: e.PUBSUB_PROJECT_ID,
    topic: e.TOPIC,
    ports: Object.freeze({
      ingest: e.INGEST_PORT,
      archive: e.ARCHIVE_PORT,
      notify: e.NOTIFY_PORT,
    }),
    host: e.HOST,
    dataDir: e.DATA_DIR,
    pushToken: e.PUSH_TOKEN,
    publishTimeoutMs: e.PUBLISH_TIMEOUT_MS,
    publishBatchDelayMs: e.PUBLISH_BATCH_DELAY_MS,
    logLevel: e.LOG_LEVEL,
    production,
    maxBodyBytes: e.MAX_BODY_BYTES,
    ingestApiKeys: Object.freeze(e.INGEST_API_KEYS),
    webhookSecrets: Object.freeze(e.WEBHOOK_SECRETS),
    githubWebhookSecrets: Object.freeze(e.GITHUB_WEBHOOK_SECRETS),
    webhookToleranceSeconds: e.WEBHOOK_TOLERANCE_SECONDS,
    corsOrigins: Object.freeze(e.CORS_ORIGINS),
    idempotencyTtlMs: e.IDEMPOTENCY_TTL_HOURS * 3_600_000,
    idempotencyMaxKeys: e.IDEMPOTENCY_MAX_KEYS,
    archiveApiKey: e.ARCHIVE_API_KEY,
    notifyApiKey: e.NOTIFY_API_KEY,
    functionTarget: e.FUNCTION_TARGET,
    callbackTimeoutMs: e.CALLBACK_TIMEOUT_MS,
    pushAuth: pushAuth && Object.freeze(pushAuth),
    archiveStore: e.ARCHIVE_STORE,
    firestore: Object.freeze({
      collection: e.FIRESTORE_COLLECTION,
      emulatorHost: e.FIRESTORE_EMULATOR_HOST,
    }),
  });
}

/**
 * The push authentication of a function that receives pushes. Throws a
 * `ConfigError` naming `PUSH_AUTH` on Cloud Run when it is unset: there,
 * a push endpoint must never run without a check it was asked for.
 */
export function pushAuthOf(
  config: Pick<Config, 'pushAuth'>,
): Readonly<PushAuthConfig> {
  if (config.pushAuth === undefined) throw missingPushAuth();
  return config.pushAuth;
}

type Env = z.infer<typeof envSchema>;

/**
 * Locally the token mode is the default. On Cloud Run `PUSH_AUTH` has no
 * default, and the token mode needs `ALLOW_PUSH_TOKEN_IN_PRODUCTION=true`:
 * a secret in a URL ends up in logs and consoles, an OIDC token does not.
 */
function pushAuthFrom(e: Env, production: boolean): PushAuthConfig | undefined {
  const mode = e.PUSH_AUTH ?? (production ? undefined : 'token');
  if (mode === 'oidc') {
    const missing = [
      e.PUSH_AUDIENCE ? undefined : 'PUSH_AUDIENCE',
      e.PUSH_SERVICE_ACCOUNT ? undefined : 'PUSH_SERVICE_ACCOUNT',
    ].filter((name) => name !== undefined);
    if (e.PUSH_AUDIENCE && e.PUSH_SERVICE_ACCOUNT) {
      return {
        mode,
        audience: e.PUSH_AUDIENCE,
        serviceAccount: e.PUSH_SERVICE_ACCOUNT,
      };
    }
    throw new ConfigError(
      `invalid configuration:\n  ${missing.join(', ')}: required when ` +
        'PUSH_AUTH=oidc',
    );
  }
  if (
    mode === 'token' &&
    production &&
    e.ALLOW_PUSH_TOKEN_IN_PRODUCTION !== 'true'
  ) {
    throw new ConfigError(
      'invalid configuration:\n  PUSH_AUTH: token mode on Cloud Run ' +
        '(K_SERVICE is set) needs ALLOW_PUSH_TOKEN_IN_PRODUCTION=true; ' +
        'use PUSH_AUTH=oidc',
    );
  }
  return mode === undefined ? undefined : { mode };
}

function missingPushAuth(): ConfigError {
  return new ConfigError(
    'invalid configuration:\n  PUSH_AUTH: required on Cloud Run ' +
      '(K_SERVICE is set): set PUSH_AUTH=oidc with PUSH_AUDIENCE and ' +
      'PUSH_SERVICE_ACCOUNT',
  );
}
