import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_DELIVERY_ATTEMPTS } from '../../emulator/topology.js';
import { createPubSub } from '../../functions/core/pubsub.js';
import { dryRunText, provision } from '../../scripts/lib/provision.js';
import { parseProvisionArgs } from '../../scripts/lib/provision-plan.js';
import { defer, emulatorHost } from '../harness/index.js';

const FAKE = [
  '--project=relais-demo-123',
  '--region=europe-west1',
  '--project-number=123456789012',
  '--archive-url=https://archive-abc123-ew.a.run.app',
  '--notify-url=https://notify-abc123-ew.a.run.app',
  '--archive-audience=https://europe-west1-relais-demo-123.cloudfunctions.net/archive',
  '--notify-audience=https://europe-west1-relais-demo-123.cloudfunctions.net/notify',
];

describe('provision --dry-run', () => {
  it('prints every call and binding for a fake project', async () => {
    const text = dryRunText(parseProvisionArgs([...FAKE, '--dry-run']));

    await expect(text).toMatchFileSnapshot(
      './__snapshots__/provision-dry-run.txt',
    );
  });

  it('names the placeholder when the project number is unknown', () => {
    const args = FAKE.filter((a) => !a.startsWith('--project-number'));

    const text = dryRunText(parseProvisionArgs(args));

    expect(text).toContain('service-PROJECT_NUMBER@gcp-sa-pubsub');
  });

  it.each([
    ['--archive-url=http://archive.example.com', '--archive-url'],
    ['--region=mars', '--region'],
    ['--ack-deadline=5', '--ack-deadline'],
  ])('refuses %s, naming the option', (bad, name) => {
    const key = bad.split('=')[0] as string;
    const args = [...FAKE.filter((a) => !a.startsWith(`${key}=`)), bad];

    expect(() => parseProvisionArgs(args)).toThrow(name);
  });
});

/** The emulator under a project of its own: the names are fixed here. */
function emulatorPubSub() {
  const project = `relais-prov-${randomBytes(3).toString('hex')}`;
  const pubsub = createPubSub({
    projectId: project,
    emulatorHost: emulatorHost(),
  });
  defer(() => pubsub.close());
  return { project, pubsub };
}

describe('provision against the emulator (same API as Pub/Sub)', () => {
  it('creates the topology with OIDC push, retry and dead-letter policies', async () => {
    const { project, pubsub } = emulatorPubSub();
    const args = parseProvisionArgs([...FAKE, `--project=${project}`]);

    const report = await provision(
      pubsub,
      { ...args, projectNumber: '123456789012' },
      () => undefined,
    );

    expect(report.actions.map((a) => a.action)).toEqual(
      Array(5).fill('created'),
    );
    const [archive] = await pubsub.subscription('archive').getMetadata();
    expect(archive.pushConfig?.pushEndpoint).toBe(
      'https://archive-abc123-ew.a.run.app/push',
    );
    expect(archive.pushConfig?.oidcToken).toMatchObject({
      serviceAccountEmail: `relais-push@${project}.iam.gserviceaccount.com`,
      audience:
        'https://europe-west1-relais-demo-123.cloudfunctions.net/archive',
    });
    expect(archive.ackDeadlineSeconds).toBe(60);
    expect(archive.retryPolicy?.maximumBackoff?.seconds).toBe('600');
    expect(archive.deadLetterPolicy?.maxDeliveryAttempts).toBe(
      MAX_DELIVERY_ATTEMPTS.pubsub,
    );
    expect(MAX_DELIVERY_ATTEMPTS.pubsub).toBe(20);
  });

  it('updates a drifted subscription in place and changes nothing twice', async () => {
    const { project, pubsub } = emulatorPubSub();
    const first = parseProvisionArgs([...FAKE, `--project=${project}`]);
    const run = (args: typeof first) =>
      provision(pubsub, { ...args, projectNumber: '1' }, () => undefined);
    await run(first);

    const changed = await run(
      parseProvisionArgs([
        ...FAKE,
        `--project=${project}`,
        '--max-delivery-attempts=7',
        '--ack-deadline=90',
      ]),
    );
    const again = await run(
      parseProvisionArgs([
        ...FAKE,
        `--project=${project}`,
        '--max-delivery-attempts=7',
        '--ack-deadline=90',
      ]),
    );

    expect(changed.actions.find((a) => a.name === 'archive')).toEqual({
      kind: 'subscription',
      name: 'archive',
      action: 'updated',
      changed: ['ackDeadlineSeconds', 'deadLetterPolicy'],
    });
    expect(again.actions.every((a) => a.action === 'unchanged')).toBe(true);
    const [archive] = await pubsub.subscription('archive').getMetadata();
    expect(archive.deadLetterPolicy?.maxDeliveryAttempts).toBe(7);
    expect(archive.ackDeadlineSeconds).toBe(90);
  });

  it('reports the IAM bindings it cannot read as unchecked', async () => {
    const { project, pubsub } = emulatorPubSub();
    const args = parseProvisionArgs([...FAKE, `--project=${project}`]);

    const report = await provision(
      pubsub,
      { ...args, projectNumber: '1' },
      () => undefined,
    );

    expect(report.bindings.map((b) => b.role)).toEqual([
      'roles/pubsub.publisher',
      'roles/pubsub.subscriber',
      'roles/pubsub.subscriber',
      'roles/run.invoker',
      'roles/run.invoker',
      'roles/iam.serviceAccountTokenCreator',
    ]);
    expect(report.states.map((s) => s.state)).not.toContain('present');
  });
});
