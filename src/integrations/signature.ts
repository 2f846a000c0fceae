/**
 * Signed webhooks, both ways: what SyncBridge checks on `POST /hooks/<source>` and what it (the
 * demo CRM, and alert deliveries) signs with, so a receiver verifies with this same code.
 *
 * `SyncBridge-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]` where each v1 is
 * HMAC-SHA256(secret, "<t>.<raw body>"); GitHub's `X-Hub-Signature-256: sha256=<hex>` signs the
 * raw body alone. Digests are compared in constant time, as bytes.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const signatureHeader = 'syncbridge-signature';
export const githubSignatureHeader = 'x-hub-signature-256';
/** How far a `t=` may be from now, either way. */
export const signatureToleranceSeconds = 300;

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

const hmac = (secret: string, ...parts: (string | Buffer)[]) => {
  const digest = createHmac('sha256', secret);
  for (const part of parts) digest.update(part);
  return digest.digest();
};

/** The SyncBridge-Signature value for `body`, signed with each secret (one v1 each: a rotation signs with the old and the new). */
export function signWebhook(body: string | Buffer, secrets: string | readonly string[], atSeconds = Math.floor(Date.now() / 1000)): string {
  const list = typeof secrets === 'string' ? [secrets] : secrets;
  return [`t=${atSeconds}`, ...list.map((secret) => `v1=${hmac(secret, `${atSeconds}.`, body).toString('hex')}`)].join(',');
}

/** Whether a hex text is the digest given, compared in constant time (a malformed or wrong-length text is not). */
function sameDigest(hex: string, expected: Buffer): boolean {
  if (hex.length !== expected.length * 2 || !/^[0-9a-fA-F]+$/.test(hex)) return false;
  return timingSafeEqual(Buffer.from(hex, 'hex'), expected);
}

/** Checks a SyncBridge-Signature header against the raw body and any of the secrets. */
export function verifyWebhook(
  header: string | undefined,
  body: Buffer | string,
  secrets: readonly string[],
  nowSeconds = Date.now() / 1000,
  toleranceSeconds = signatureToleranceSeconds,
): SignatureCheck {
  if (!header) return { ok: false, reason: `the ${signatureHeader} header is missing` };
  let timestamp: string | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const [key, value = ''] = part.trim().split('=', 2) as [string, string?];
    if (key === 't') timestamp = value;
    else if (key === 'v1') signatures.push(value);
  }
  if (!timestamp || !/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: `the ${signatureHeader} header has no t=<unix seconds>` };
  if (!signatures.length) return { ok: false, reason: `the ${signatureHeader} header has no v1=<signature>` };
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return { ok: false, reason: `the signature's timestamp is more than ${toleranceSeconds} s from now` };
  for (const secret of secrets) {
    const expected = hmac(secret, `${timestamp}.`, body);
    if (signatures.some((signature) => sameDigest(signature, expected))) return { ok: true };
  }
  return { ok: false, reason: 'no signature matches' };
}

/** GitHub's X-Hub-Signature-256 value for `body`. */
export function signGithubWebhook(body: string | Buffer, secret: string): string {
  return `sha256=${hmac(secret, body).toString('hex')}`;
}

/** Checks an X-Hub-Signature-256 header against the raw body and any of the secrets. */
export function verifyGithubWebhook(header: string | undefined, body: Buffer | string, secrets: readonly string[]): SignatureCheck {
  if (!header) return { ok: false, reason: `the ${githubSignatureHeader} header is missing` };
  const match = /^sha256=(.*)$/.exec(header.trim());
  if (!match) return { ok: false, reason: `the ${githubSignatureHeader} header must be sha256=<hex>` };
  for (const secret of secrets) if (sameDigest(match[1]!, hmac(secret, body))) return { ok: true };
  return { ok: false, reason: 'no signature matches' };
}
