import {
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  type JWTPayload,
  SignJWT,
} from 'jose';
import type { KeySource } from '../../functions/core/oidc.js';

export const AUDIENCE = 'https://archive-test.a.run.app';
export const PUSH_SA = 'relais-push@relais-test.iam.gserviceaccount.com';
export const KID = 'test-key-1';

/** A signing key, the JWKS that publishes it, and another key (same kid). */
export interface TestKeys {
  keys: KeySource;
  sign(claims?: JWTPayload, options?: { forged?: boolean }): Promise<string>;
}

/**
 * Keys and tokens shaped like Pub/Sub's: RS256, Google's issuer, the
 * configured audience and service account, valid for an hour. `claims`
 * override or (with `undefined`) remove a claim; `forged` signs with a key
 * the JWKS does not hold, under the same kid.
 */
export async function testKeys(): Promise<TestKeys> {
  const good = await generateKeyPair('RS256', { extractable: true });
  const other = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(good.publicKey)), kid: KID, alg: 'RS256' };
  const keys = createLocalJWKSet({ keys: [jwk] });
  return {
    keys,
    async sign(claims = {}, options = {}) {
      const now = Math.floor(Date.now() / 1000);
      const payload: JWTPayload = {
        iss: 'https://accounts.google.com',
        aud: AUDIENCE,
        email: PUSH_SA,
        email_verified: true,
        sub: '113774264463038321964',
        iat: now,
        exp: now + 3600,
        ...claims,
      };
      for (const [key, value] of Object.entries(claims)) {
        if (value === undefined) delete payload[key];
      }
      return new SignJWT(payload)
        .setProtectedHeader({ alg: 'RS256', kid: KID, typ: 'JWT' })
        .sign(options.forged ? other.privateKey : good.privateKey);
    },
  };
}

/** An unsigned token (`alg: none`) with Pub/Sub's claims. */
export function unsignedToken(): string {
  const part = (value: unknown) =>
    Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({
    iss: 'https://accounts.google.com',
    aud: AUDIENCE,
    email: PUSH_SA,
    email_verified: true,
    iat: now,
    exp: now + 3600,
  })}.`;
}
