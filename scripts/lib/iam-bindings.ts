import type { PubSub } from '@google-cloud/pubsub';

/** One IAM binding relais needs, and whether provisioning can read it. */
export interface Binding {
  role: string;
  member: string;
  /** Full resource name, for people; the gcloud command grants it. */
  resource: string;
  /** Why it is needed, in one line. */
  why: string;
  /** What can read it here (`topic` / `subscription` IAM), if anything. */
  check?: { kind: 'topic' | 'subscription'; id: string };
  /** The gcloud arguments that grant it (idempotent). */
  grant: string[];
}

export interface BindingInputs {
  project: string;
  /** `PROJECT_NUMBER` in a dry run without `--project-number`. */
  projectNumber: string;
  region: string;
  pushServiceAccount: string;
  deadLetterTopic: string;
  pushSubscriptions: string[];
  functions: string[];
}

/** The Pub/Sub service agent of a project, which pushes and dead-letters. */
export function pubsubServiceAgent(projectNumber: string): string {
  return `service-${projectNumber}@gcp-sa-pubsub.iam.gserviceaccount.com`;
}

/**
 * The bindings dead-lettering and authenticated push need:
 * https://cloud.google.com/pubsub/docs/handling-failures#grant_forwarding_permissions
 * https://cloud.google.com/pubsub/docs/authenticate-push-subscriptions
 */
export function requiredBindings(i: BindingInputs): Binding[] {
  const agent = `serviceAccount:${pubsubServiceAgent(i.projectNumber)}`;
  const pusher = `serviceAccount:${i.pushServiceAccount}`;
  return [
    {
      role: 'roles/pubsub.publisher',
      member: agent,
      resource: `projects/${i.project}/topics/${i.deadLetterTopic}`,
      why: 'Pub/Sub forwards undeliverable messages to the dead-letter topic',
      check: { kind: 'topic', id: i.deadLetterTopic },
      grant: [
        'pubsub',
        'topics',
        'add-iam-policy-binding',
        i.deadLetterTopic,
        `--project=${i.project}`,
        `--member=${agent}`,
        '--role=roles/pubsub.publisher',
      ],
    },
    ...i.pushSubscriptions.map((id) => ({
      role: 'roles/pubsub.subscriber',
      member: agent,
      resource: `projects/${i.project}/subscriptions/${id}`,
      why: 'Pub/Sub acknowledges what it dead-letters from this subscription',
      check: { kind: 'subscription' as const, id },
      grant: [
        'pubsub',
        'subscriptions',
        'add-iam-policy-binding',
        id,
        `--project=${i.project}`,
        `--member=${agent}`,
        '--role=roles/pubsub.subscriber',
      ],
    })),
    ...i.functions.map((fn) => ({
      role: 'roles/run.invoker',
      member: pusher,
      resource: `projects/${i.project}/locations/${i.region}/services/${fn}`,
      why: `the push identity may call ${fn} (deployed without public access)`,
      grant: [
        'functions',
        'add-invoker-policy-binding',
        fn,
        `--project=${i.project}`,
        `--region=${i.region}`,
        `--member=${pusher}`,
      ],
    })),
    {
      role: 'roles/iam.serviceAccountTokenCreator',
      member: agent,
      resource: `projects/${i.project}/serviceAccounts/${i.pushServiceAccount}`,
      why: 'Pub/Sub signs push tokens as the push identity (needed on projects from before April 2021)',
      grant: [
        'iam',
        'service-accounts',
        'add-iam-policy-binding',
        i.pushServiceAccount,
        `--project=${i.project}`,
        `--member=${agent}`,
        '--role=roles/iam.serviceAccountTokenCreator',
      ],
    },
  ];
}

/** `present`, `missing`, or `unknown` with the reason the policy was unread. */
export type BindingState =
  | { state: 'present' | 'missing' }
  | { state: 'unknown'; reason: string };

/**
 * Reads the topic or subscription IAM policy of each checkable binding.
 * Bindings on Cloud Run and IAM resources are not read here (that needs
 * other APIs); they are reported `unknown`, with the command that grants
 * them. The emulator has no IAM: everything is `unknown` there.
 */
export async function checkBindings(
  pubsub: PubSub,
  bindings: Binding[],
): Promise<BindingState[]> {
  return Promise.all(
    bindings.map(async (b): Promise<BindingState> => {
      if (!b.check) {
        return { state: 'unknown', reason: 'not readable through Pub/Sub' };
      }
      const resource =
        b.check.kind === 'topic'
          ? pubsub.topic(b.check.id)
          : pubsub.subscription(b.check.id);
      try {
        const [policy] = await resource.iam.getPolicy();
        const found = (policy.bindings ?? []).some(
          (binding) =>
            binding.role === b.role &&
            (binding.members ?? []).includes(b.member),
        );
        return { state: found ? 'present' : 'missing' };
      } catch (err) {
        return {
          state: 'unknown',
          reason: `getIamPolicy failed: ${(err as Error).message}`,
        };
      }
    }),
  );
}
