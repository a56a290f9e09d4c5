import { topology } from '../../emulator/topology.js';

/** The dead-letter topic and push subscription ids of the topology. */
export function topologyIds(topic: string): {
  deadLetterTopic: string;
  pushSubscriptions: string[];
} {
  // Built from the topology itself so the names never drift from it.
  const spec = topology({
    topic,
    pushBase: { archive: 'https://a.invalid', notify: 'https://n.invalid' },
    oidc: {
      serviceAccountEmail: 'ids@invalid.invalid',
      audiences: { archive: 'a', notify: 'n' },
    },
    target: 'pubsub',
  });
  const push = spec.subscriptions.filter((s) => s.pushEndpoint);
  return {
    deadLetterTopic: push[0]?.deadLetterPolicy?.deadLetterTopic ?? '',
    pushSubscriptions: push.map((s) => s.name),
  };
}
