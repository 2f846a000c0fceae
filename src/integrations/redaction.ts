/**
 * What is redacted from everything SyncBridge keeps of an upstream exchange (an attempt's
 * forensics, its error text, the logs), so that a viewer of the dashboard never reads a secret.
 *
 * The rule, documented in the README (Security):
 * - a field whose name looks secret has its value replaced by "[redacted]": in JSON bodies at
 *   any depth, in form-encoded bodies, and as `name=value` / `name: value` in any other text
 *   (plain-text bodies, error messages, URLs' query strings). A name looks secret when, lower-cased
 *   with everything but letters and digits removed, it contains one of `sensitiveStems` or is one
 *   of `sensitiveNames`, or is listed in SYNCBRIDGE_REDACT_KEYS;
 * - values that are credentials by their shape are replaced wherever they appear: `Bearer …`
 *   and `Basic …` credentials, JSON Web Tokens, PEM private keys.
 */

/** Matched anywhere in a normalized field name. */
const sensitiveStems = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'authorization',
  'apikey',
  'cookie',
  'credential',
  'privatekey',
  'session',
  'refresh',
  'cardnumber',
  'creditcard',
  'cvv',
  'cvc',
  'ssn',
  'bankaccount',
  'accountnumber',
  'iban',
  'routingnumber',
  'signature',
] as const;
/** Matched as the whole normalized name only (short, or common inside harmless words). */
const sensitiveNames = ['auth', 'pwd', 'pin', 'otp', 'sid', 'card', 'key', 'bearer', 'jwt'] as const;

const credentialShapes: [RegExp, string][] = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, '[redacted private key]'],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9\-._~+/]+=*/gi, '$1 [redacted]'],
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, '[redacted jwt]'],
];

export const redactedValue = '[redacted]';

function normalize(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

export class Redactor {
  private readonly extra: Set<string>;
  private readonly namePattern: RegExp;

  /** `extraKeys`: more field names to redact (SYNCBRIDGE_REDACT_KEYS). */
  constructor(extraKeys: readonly string[] = []) {
    this.extra = new Set(extraKeys.map(normalize).filter(Boolean));
    // A field name in free text and its separator: a word of letters, digits, _ . - then = or :.
    this.namePattern = /([A-Za-z][A-Za-z0-9_.-]{0,63})(\s*["']?\s*[:=]\s*["']?)/g;
  }

  /** Whether a field of this name holds a secret. */
  isSensitive(name: string): boolean {
    const key = normalize(name);
    if (!key) return false;
    if (this.extra.has(key) || (sensitiveNames as readonly string[]).includes(key)) return true;
    return sensitiveStems.some((stem) => key.includes(stem));
  }

  /** Credentials by their shape, and `name=value` / `name: value` pairs with a secret name, in free text. */
  text(text: string): string {
    let out = text;
    for (const [pattern, replacement] of credentialShapes) out = out.replace(pattern, replacement);
    // By hand, not replace(): a value must stay visible to the scan ("error: password=x" has two names).
    const pattern = new RegExp(this.namePattern.source, 'g');
    let result = '';
    let copied = 0;
    for (let match = pattern.exec(out); match; match = pattern.exec(out)) {
      if (!this.isSensitive(match[1]!)) continue;
      const valueStart = match.index + match[0].length;
      const value = /^[^\s&,;"'}]+/.exec(out.slice(valueStart, valueStart + 4_096))?.[0];
      if (!value || value === redactedValue) continue;
      result += out.slice(copied, valueStart) + redactedValue;
      copied = valueStart + value.length;
      pattern.lastIndex = copied;
    }
    return result + out.slice(copied);
  }

  /** A body of any kind: JSON (secret fields at any depth), form-encoded, or text. */
  body(body: string): string {
    const trimmed = body.trimStart();
    if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
      try {
        return JSON.stringify(JSON.parse(body), (key, value: unknown) => {
          if (key && this.isSensitive(key) && value !== null) return redactedValue; // a secret object goes whole
          return typeof value === 'string' ? this.text(value) : value;
        });
      } catch {
        // Not JSON after all: treated as text below.
      }
    }
    if (/^[^=&\s]+=[^&\s]*(&[^=&\s]+=[^&\s]*)*$/.test(body.trim())) {
      const form = new URLSearchParams(body.trim());
      for (const key of [...new Set(form.keys())]) {
        if (this.isSensitive(key)) form.set(key, redactedValue);
        else form.set(key, this.text(form.get(key) ?? ''));
      }
      return form.toString().replaceAll(encodeURIComponent(redactedValue), redactedValue);
    }
    return this.text(body);
  }

  /** A URL with secret-looking query values replaced and any user info dropped. */
  url(url: string): string {
    try {
      const parsed = new URL(url);
      for (const key of [...new Set(parsed.searchParams.keys())]) if (this.isSensitive(key)) parsed.searchParams.set(key, redactedValue);
      parsed.username = '';
      parsed.password = '';
      return parsed.toString().replaceAll(encodeURIComponent(redactedValue), redactedValue);
    } catch {
      return this.text(url);
    }
  }
}

/** The built-in rule, for callers that are not given one. */
export const defaultRedactor = new Redactor();
