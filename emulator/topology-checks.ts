import { resourceName } from '../functions/core/config.js';
import type { Target, TopologyOptions } from './topology.js';

// The validation behind `topology()`: each function returns the problems
// it finds, as lines naming the option, never the push token.

/** Exactly one of token and OIDC, each well formed. */
export function authProblems(options: TopologyOptions): string[] {
  if (options.oidc) {
    const problems: string[] = [];
    if (options.pushToken !== undefined) {
      problems.push('pushToken: not used with oidc; give one of the two');
    }
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(options.oidc.serviceAccountEmail)) {
      problems.push('oidc.serviceAccountEmail: must be an email address');
    }
    for (const [fn, audience] of Object.entries(options.oidc.audiences)) {
      if (audience.trim() === '') {
        problems.push(`oidc.audiences.${fn}: must not be empty`);
      }
    }
    return problems;
  }
  if (!/^[A-Za-z0-9_-]{16,128}$/.test(options.pushToken ?? '')) {
    return ['pushToken: must be 16 to 128 URL-safe characters'];
  }
  return [];
}

export function nameProblems(names: Record<string, string>): string[] {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(names)) {
    const parsed = resourceName.safeParse(value);
    if (!parsed.success) {
      const why = parsed.error.issues.map((i) => i.message).join(', ');
      problems.push(`${key}: "${value}" is ${why}`);
    }
  }
  const subscriptionIds = [
    names.deadLetterInspect,
    names.archive,
    names.notify,
  ];
  if (new Set(subscriptionIds).size !== subscriptionIds.length) {
    problems.push('names: subscription ids must differ from one another');
  }
  if (names.topic === names.deadLetterTopic) {
    problems.push('names: the dead-letter topic must differ from the topic');
  }
  return problems;
}

export function baseProblems(
  bases: { archive: string; notify: string },
  target: Target,
): string[] {
  const problems: string[] = [];
  for (const [key, base] of Object.entries(bases)) {
    let url: URL;
    try {
      url = new URL(base);
    } catch {
      problems.push(`pushBase.${key}: not a URL`);
      continue;
    }
    if (url.search !== '' || url.hash !== '') {
      problems.push(`pushBase.${key}: must have no query or fragment`);
    }
    // Real Pub/Sub pushes to HTTPS endpoints only; the emulator takes both.
    const allowed = target === 'pubsub' ? ['https:'] : ['http:', 'https:'];
    if (!allowed.includes(url.protocol)) {
      problems.push(
        `pushBase.${key}: must use ${allowed.join(' or ')} for ${target}`,
      );
    }
  }
  return problems;
}
