import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/**
 * Signing secrets and their rotation, shared by webhook endpoints and the
 * HTTP CRM connector: both sign Standard Webhooks style, and both rotate the
 * same way (a new secret, the old one signing too until its grace ends).
 */

/** Default grace period of a secret rotation: the old secret keeps signing (a second signature) this long. */
export const DEFAULT_ROTATION_GRACE_SECONDS = 24 * 3600;
/** The longest grace period a rotation may ask for. */
export const MAX_ROTATION_GRACE_SECONDS = 7 * 24 * 3600;

/** A new Standard Webhooks secret: `whsec_` and 32 random bytes in base64. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** A secret and, during a rotation's grace period, the one it replaced. */
interface RotatingSecret {
  secret: string;
  previousSecret: string | null;
  previousSecretUntil: Date | null;
}

/** The secrets that sign at `at`: the current one, and the previous one while its grace lasts. */
export function signersAt(s: RotatingSecret, at: Date): string[] {
  const signers = [s.secret];
  if (s.previousSecret && s.previousSecretUntil && s.previousSecretUntil > at) signers.push(s.previousSecret);
  return signers;
}

/** The `webhook-signature` header: one signature per secret, space separated (a receiver accepts any one). */
export function signatureHeader(secrets: readonly string[], msgId: string, sentAt: Date, body: string): string {
  return secrets.map((s) => new Webhook(s).sign(msgId, sentAt, body)).join(' ');
}

/** The columns a rotation sets, for `UPDATE … SET previous_secret = …` (the grace 0: the old secret stops at once). */
export function rotation(
  current: string,
  now: Date,
  graceSeconds: number,
): { secret: string; previousSecret: string | null; previousSecretUntil: Date | null } {
  return {
    secret: newSigningSecret(),
    previousSecret: graceSeconds > 0 ? current : null,
    previousSecretUntil: graceSeconds > 0 ? new Date(now.getTime() + graceSeconds * 1000) : null,
  };
}
