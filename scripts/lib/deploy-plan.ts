import type { ParseArgsConfig } from 'node:util';
import { z } from 'zod';
import { resourceName } from '../../functions/core/config.js';
import type { FunctionName } from '../../functions/core/runtime.js';
import { parseCommandLine } from './args.js';

export const deployFlags = {
  project: { type: 'string' },
  region: { type: 'string' },
  topic: { type: 'string', default: 'personnages' },
  'push-service-account': { type: 'string' },
  secret: { type: 'string', multiple: true },
  'dry-run': { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsConfig['options'];

/** `fn:VARIABLE=secret-name:version`, as `--set-secrets` takes it. */
const secretSpec = z
  .string()
  .regex(
    /^(ingest|archive|notify):([A-Z][A-Z0-9_]*)=([A-Za-z0-9_-]{1,255}):(latest|\d+)$/,
    'must be fn:VARIABLE=secret:version (fn: ingest, archive or notify)',
  );

const deploySchema = z.object({
  project: z
    .string({ error: 'is required' })
    .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'not a valid project id'),
  region: z
    .string({ error: 'is required' })
    .regex(/^[a-z]+-[a-z]+\d+$/, 'not a Google Cloud region'),
  topic: resourceName,
  'push-service-account': z.email().optional(),
  secret: z.array(secretSpec).optional(),
  'dry-run': z.boolean(),
  help: z.boolean(),
});

/** Secrets each function reads from Secret Manager unless told otherwise. */
export const DEFAULT_SECRETS = [
  'ingest:INGEST_API_KEYS=relais-ingest-api-keys:latest',
  'archive:ARCHIVE_API_KEY=relais-archive-api-key:latest',
];

export interface DeployArgs {
  project: string;
  region: string;
  topic: string;
  pushServiceAccount: string;
  /** `VARIABLE=secret:version` by function. */
  secrets: Record<FunctionName, string[]>;
  dryRun: boolean;
  help: boolean;
}

/** Parses `npm run deploy` arguments. */
export function parseDeployArgs(argv: string[]): DeployArgs {
  if (argv.includes('--help') || argv.includes('-h')) {
    return { help: true } as DeployArgs;
  }
  const o = parseCommandLine(argv, deployFlags, deploySchema);
  const secrets: Record<FunctionName, string[]> = {
    ingest: [],
    archive: [],
    notify: [],
  };
  for (const spec of o.secret ?? DEFAULT_SECRETS) {
    const [fn, binding] = spec.split(/:(.*)/s) as [FunctionName, string];
    secrets[fn].push(binding);
  }
  return {
    project: o.project,
    region: o.region,
    topic: o.topic,
    pushServiceAccount:
      o['push-service-account'] ??
      `relais-push@${o.project}.iam.gserviceaccount.com`,
    secrets,
    dryRun: o['dry-run'],
    help: o.help,
  };
}

/**
 * The OIDC audience of a function: its cloudfunctions.net URL, which is
 * known before the first deploy (the run.app URL is not), and which Google
 * documents as a function's audience.
 * https://cloud.google.com/functions/docs/securing/authenticating
 */
export function audienceOf(args: DeployArgs, fn: FunctionName): string {
  return `https://${args.region}-${args.project}.cloudfunctions.net/${fn}`;
}

/** The environment of each function; secrets go by `--set-secrets`. */
export function envOf(args: DeployArgs, fn: FunctionName): string[] {
  const common = [
    `PUBSUB_PROJECT_ID=${args.project}`,
    `TOPIC=${args.topic}`,
    'LOG_LEVEL=info',
  ];
  if (fn === 'ingest') return common;
  return [
    ...common,
    'PUSH_AUTH=oidc',
    `PUSH_AUDIENCE=${audienceOf(args, fn)}`,
    `PUSH_SERVICE_ACCOUNT=${args.pushServiceAccount}`,
    // Only /tmp is writable on Cloud Run (in memory, lost on restart).
    'DATA_DIR=/tmp/relais',
    ...(fn === 'archive' ? ['ARCHIVE_STORE=firestore'] : []),
  ];
}

/** `gcloud functions deploy` for one function. */
export function deployCommand(args: DeployArgs, fn: FunctionName): string[] {
  const secrets = args.secrets[fn];
  return [
    'functions',
    'deploy',
    fn,
    '--gen2',
    '--runtime=nodejs20',
    `--project=${args.project}`,
    `--region=${args.region}`,
    '--source=.',
    `--entry-point=${fn}`,
    '--trigger-http',
    fn === 'ingest' ? '--allow-unauthenticated' : '--no-allow-unauthenticated',
    // notify keeps its subscribers and journals in one instance's memory.
    ...(fn === 'notify' ? ['--max-instances=1'] : []),
    `--set-env-vars=${envOf(args, fn).join(',')}`,
    ...(secrets.length > 0 ? [`--set-secrets=${secrets.join(',')}`] : []),
  ];
}

/** Lets Cloud Run's own IAM check accept the audience Pub/Sub signs for. */
export function audienceCommand(args: DeployArgs, fn: FunctionName): string[] {
  return [
    'run',
    'services',
    'update',
    fn,
    `--project=${args.project}`,
    `--region=${args.region}`,
    `--add-custom-audiences=${audienceOf(args, fn)}`,
  ];
}

/** Lets the push identity call a function deployed without public access. */
export function invokerCommand(args: DeployArgs, fn: FunctionName): string[] {
  return [
    'functions',
    'add-invoker-policy-binding',
    fn,
    `--project=${args.project}`,
    `--region=${args.region}`,
    `--member=serviceAccount:${args.pushServiceAccount}`,
  ];
}

/** Reads a deployed function's URL. */
export function describeCommand(args: DeployArgs, fn: FunctionName): string[] {
  return [
    'functions',
    'describe',
    fn,
    '--gen2',
    `--project=${args.project}`,
    `--region=${args.region}`,
    '--format=value(serviceConfig.uri)',
  ];
}

/** `npm run provision` arguments once the URLs are known. */
export function provisionArgv(
  args: DeployArgs,
  urls: { archive: string; notify: string },
): string[] {
  return [
    `--project=${args.project}`,
    `--region=${args.region}`,
    `--topic=${args.topic}`,
    `--archive-url=${urls.archive}`,
    `--notify-url=${urls.notify}`,
    `--archive-audience=${audienceOf(args, 'archive')}`,
    `--notify-audience=${audienceOf(args, 'notify')}`,
    `--push-service-account=${args.pushServiceAccount}`,
  ];
}
