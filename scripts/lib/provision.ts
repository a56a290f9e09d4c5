import type { PubSub } from '@google-cloud/pubsub';
import { type AppliedAction, applyTopology } from '../../emulator/apply.js';
import type { Topology } from '../../emulator/topology.js';
import { shellLine } from './gcloud.js';
import {
  type Binding,
  type BindingState,
  checkBindings,
  requiredBindings,
} from './iam-bindings.js';
import {
  type ProvisionArgs,
  planLines,
  productionTopology,
} from './provision-plan.js';

/** What a provisioning run did and found. */
export interface ProvisionReport {
  topology: Topology;
  actions: AppliedAction[];
  bindings: Binding[];
  states: BindingState[];
}

/** The bindings a provisioned topology needs. */
export function bindingsFor(
  args: Pick<ProvisionArgs, 'project' | 'region' | 'pushServiceAccount'>,
  spec: Topology,
  number: string,
): Binding[] {
  const push = spec.subscriptions.filter((s) => s.pushEndpoint);
  return requiredBindings({
    project: args.project,
    projectNumber: number,
    region: args.region,
    pushServiceAccount: args.pushServiceAccount,
    deadLetterTopic: push[0]?.deadLetterPolicy?.deadLetterTopic ?? '',
    pushSubscriptions: push.map((s) => s.name),
    functions: ['archive', 'notify'],
  });
}

/**
 * Reconciles the production topology on `pubsub` (real Pub/Sub with
 * Application Default Credentials, or the emulator in tests: same API),
 * then reads the IAM bindings it can.
 */
export async function provision(
  pubsub: PubSub,
  args: ProvisionArgs & { projectNumber: string },
  log: (line: string) => void,
): Promise<ProvisionReport> {
  const spec = productionTopology(args);
  const actions = await applyTopology(pubsub, spec, log);
  const bindings = bindingsFor(args, spec, args.projectNumber);
  const states = await checkBindings(pubsub, bindings);
  return { topology: spec, actions, bindings, states };
}

/** Every call a run would make, and the bindings it needs: `--dry-run`. */
export function dryRunText(args: ProvisionArgs): string {
  const spec = productionTopology(args);
  const number = args.projectNumber ?? 'PROJECT_NUMBER';
  const bindings = bindingsFor(args, spec, number);
  return [
    `# npm run provision: project ${args.project}, target pubsub (dry run)`,
    '# Pub/Sub calls, with Application Default Credentials:',
    ...planLines(args.project, spec),
    '# IAM policies read to check the bindings below:',
    ...bindings
      .filter((b) => b.check)
      .map((b) => `GET ${b.check?.kind}s.getIamPolicy ${b.resource}`),
    '',
    ...bindingLines(bindings),
  ].join('\n');
}

/** The bindings as a checklist, with their state when known. */
export function bindingLines(
  bindings: Binding[],
  states?: BindingState[],
): string[] {
  const lines = ['# IAM bindings relais needs:'];
  for (const [i, b] of bindings.entries()) {
    const s = states?.[i];
    const mark = !s
      ? '[ ]'
      : s.state === 'present'
        ? '[x]'
        : s.state === 'missing'
          ? '[!] missing'
          : '[?] not checked';
    lines.push(
      `${mark} ${b.role} for ${b.member}`,
      `    on ${b.resource}`,
      `    why: ${b.why}`,
      ...(s?.state === 'present'
        ? []
        : [`    grant: ${shellLine('gcloud', b.grant)}`]),
    );
  }
  return lines;
}
