import type { ParseArgsConfig } from 'node:util';
import { z } from 'zod';
import {
  MAX_DELIVERY_ATTEMPTS,
  PUBSUB_ACK_DEADLINE_SECONDS,
  type SubscriptionSpec,
  type Topology,
  topology,
} from '../../emulator/topology.js';
import { resourceName } from '../../functions/core/config.js';
import { wholeNumber } from '../../functions/core/number-text.js';
import { parseCommandLine } from './args.js';

export const provisionFlags = {
  project: { type: 'string' },
  region: { type: 'string' },
  'project-number': { type: 'string' },
  topic: { type: 'string', default: 'personnages' },
  'archive-url': { type: 'string' },
  'notify-url': { type: 'string' },
  'archive-audience': { type: 'string' },
  'notify-audience': { type: 'string' },
  'push-service-account': { type: 'string' },
  'max-delivery-attempts': {
    type: 'string',
    default: String(MAX_DELIVERY_ATTEMPTS.pubsub),
  },
  'ack-deadline': {
    type: 'string',
    default: String(PUBSUB_ACK_DEADLINE_SECONDS),
  },
  'dry-run': { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsConfig['options'];

const httpsUrl = z.url({ protocol: /^https$/, error: 'must be an https URL' });

const provisionSchema = z.object({
  project: z
    .string({ error: 'is required' })
    .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'not a valid project id'),
  region: z
    .string({ error: 'is required' })
    .regex(/^[a-z]+-[a-z]+\d+$/, 'not a Google Cloud region'),
  'project-number': z
    .string()
    .regex(/^\d{6,20}$/, 'must be digits')
    .optional(),
  topic: resourceName,
  'archive-url': httpsUrl,
  'notify-url': httpsUrl,
  'archive-audience': z.string().min(1).optional(),
  'notify-audience': z.string().min(1).optional(),
  'push-service-account': z.email().optional(),
  'max-delivery-attempts': wholeNumber(5, 100),
  'ack-deadline': wholeNumber(10, 600),
  'dry-run': z.boolean(),
  help: z.boolean(),
});

/** A provisioning run, parsed and validated. */
export interface ProvisionArgs {
  project: string;
  region: string;
  /** Unknown until looked up; the dry run prints a placeholder. */
  projectNumber: string | undefined;
  topic: string;
  urls: { archive: string; notify: string };
  audiences: { archive: string; notify: string };
  pushServiceAccount: string;
  maxDeliveryAttempts: number;
  ackDeadlineSeconds: number;
  dryRun: boolean;
  help: boolean;
}

/**
 * Parses `npm run provision` arguments. Each audience defaults to its
 * function's URL; the push service account to `relais-push@<project>`.
 */
export function parseProvisionArgs(argv: string[]): ProvisionArgs {
  if (argv.includes('--help') || argv.includes('-h')) {
    return { help: true } as ProvisionArgs;
  }
  const o = parseCommandLine(argv, provisionFlags, provisionSchema);
  return {
    project: o.project,
    region: o.region,
    projectNumber: o['project-number'],
    topic: o.topic,
    urls: { archive: o['archive-url'], notify: o['notify-url'] },
    audiences: {
      archive: o['archive-audience'] ?? o['archive-url'],
      notify: o['notify-audience'] ?? o['notify-url'],
    },
    pushServiceAccount:
      o['push-service-account'] ??
      `relais-push@${o.project}.iam.gserviceaccount.com`,
    maxDeliveryAttempts: o['max-delivery-attempts'],
    ackDeadlineSeconds: o['ack-deadline'],
    dryRun: o['dry-run'],
    help: o.help,
  };
}

/** The topology for real Pub/Sub: OIDC push auth, retry policy, https. */
export function productionTopology(args: ProvisionArgs): Topology {
  return topology({
    topic: args.topic,
    pushBase: args.urls,
    oidc: {
      serviceAccountEmail: args.pushServiceAccount,
      audiences: args.audiences,
    },
    target: 'pubsub',
    maxDeliveryAttempts: args.maxDeliveryAttempts,
    ackDeadlineSeconds: args.ackDeadlineSeconds,
  });
}

/**
 * The Pub/Sub REST calls `applyTopology` makes on a project where nothing
 * exists yet, with their bodies, and what it does instead when a resource
 * exists. Holds no secret: OIDC endpoints carry no token.
 * https://cloud.google.com/pubsub/docs/reference/rest
 */
export function planLines(project: string, spec: Topology): string[] {
  const topicPath = (id: string) => `projects/${project}/topics/${id}`;
  const lines: string[] = [];
  for (const topic of spec.topics) {
    lines.push(
      `PUT projects.topics.create ${topicPath(topic.name)}`,
      '    (ALREADY_EXISTS counts as done)',
    );
  }
  for (const sub of spec.subscriptions) {
    const path = `projects/${project}/subscriptions/${sub.name}`;
    lines.push(
      `GET projects.subscriptions.get ${path}`,
      `PUT projects.subscriptions.create ${path}`,
      ...indent(JSON.stringify(restBody(project, sub), null, 2)),
      '    (when it exists and differs: PATCH projects.subscriptions.patch',
      '     with updateMask ackDeadlineSeconds,pushConfig,deadLetterPolicy,',
      '     retryPolicy; when its topic differs: DELETE, then create)',
    );
  }
  return lines;
}

function restBody(project: string, sub: SubscriptionSpec) {
  return {
    topic: `projects/${project}/topics/${sub.topic}`,
    ackDeadlineSeconds: sub.ackDeadlineSeconds,
    ...(sub.pushEndpoint
      ? {
          pushConfig: {
            pushEndpoint: sub.pushEndpoint,
            ...(sub.oidcToken ? { oidcToken: sub.oidcToken } : {}),
          },
        }
      : {}),
    ...(sub.deadLetterPolicy
      ? {
          deadLetterPolicy: {
            deadLetterTopic: `projects/${project}/topics/${sub.deadLetterPolicy.deadLetterTopic}`,
            maxDeliveryAttempts: sub.deadLetterPolicy.maxDeliveryAttempts,
          },
        }
      : {}),
    ...(sub.retryPolicy
      ? {
          retryPolicy: {
            minimumBackoff: `${sub.retryPolicy.minimumBackoffSeconds}s`,
            maximumBackoff: `${sub.retryPolicy.maximumBackoffSeconds}s`,
          },
        }
      : {}),
  };
}

function indent(text: string): string[] {
  return text.split('\n').map((line) => `    ${line}`);
}
