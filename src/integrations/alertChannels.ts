/**
 * Where alert notifications go: a signed webhook (the SyncBridge-Signature scheme of inbound
 * webhooks, so a receiver verifies with the same code), a Slack-compatible incoming webhook
 * ({"text", "blocks"}), or email over SMTP (nodemailer). A failure throws the typed upstream
 * errors, so the delivery job retries it like any upstream call (no answer, 5xx, 429: retried;
 * another 4xx: FAILED).
 */
import nodemailer from 'nodemailer';
import { callUpstream } from './http.js';
import { NonRetryableError, RetryableError, ValidationError } from './errors.js';
import { signatureHeader, signWebhook } from './signature.js';

export type AlertChannelKind = 'WEBHOOK' | 'SLACK' | 'EMAIL';

export interface AlertChannel {
  kind: AlertChannelKind;
  url: string | null;
  secret: string | null;
  /** EMAIL: recipients, comma-separated. */
  to: string | null;
}

/** One notification, as every channel words it. */
export interface AlertNotice {
  event: 'FIRING' | 'RESOLVED' | 'STILL_FIRING';
  alertId: number;
  rule: { id: number; name: string; kind: string; jobType: string | null; threshold: number; windowSeconds: number };
  value: number;
  peak: number;
  summary: string;
  startedAt: Date;
  resolvedAt: Date | null;
  /** Where an operator looks (the dashboard's alerts page), when the server knows its address. */
  link: string | null;
}

export interface ChannelDeps {
  /** SMTP URL (smtp://user:pass@host:port, smtps://…); undefined: EMAIL channels fail, saying so. */
  smtpUrl: string | undefined;
  emailFrom: string;
  timeoutMs: number;
  correlationId: string;
  signal: AbortSignal;
}

/** The words of a notice: a title line and a sentence, the same on every channel. */
export function noticeText(notice: AlertNotice): { title: string; body: string } {
  const scope = notice.rule.jobType ? ` (${notice.rule.jobType})` : '';
  const verb = notice.event === 'RESOLVED' ? 'RESOLVED' : notice.event === 'STILL_FIRING' ? 'STILL FIRING' : 'FIRING';
  const title = `[SyncBridge] ${verb}: ${notice.rule.name}${scope}`;
  const since = `since ${notice.startedAt.toISOString()}`;
  const body =
    notice.event === 'RESOLVED'
      ? `${notice.rule.name} is resolved (${notice.resolvedAt?.toISOString() ?? 'now'}); it fired ${since}, at worst: ${notice.peak}.`
      : `${notice.summary} (${since}).`;
  return { title, body: notice.link ? `${body}\n${notice.link}` : body };
}

/** The JSON a WEBHOOK channel receives (signed over its exact bytes). */
export function webhookBody(notice: AlertNotice): Record<string, unknown> {
  return {
    id: `alert_${notice.alertId}_${notice.event.toLowerCase()}`,
    type: `alert.${notice.event.toLowerCase()}`,
    alert: {
      id: String(notice.alertId),
      state: notice.event === 'RESOLVED' ? 'RESOLVED' : 'FIRING',
      value: notice.value,
      peak: notice.peak,
      summary: notice.summary,
      startedAt: notice.startedAt.toISOString(),
      resolvedAt: notice.resolvedAt?.toISOString() ?? null,
      link: notice.link,
    },
    rule: {
      id: String(notice.rule.id),
      name: notice.rule.name,
      kind: notice.rule.kind,
      jobType: notice.rule.jobType,
      threshold: notice.rule.threshold,
      windowSeconds: notice.rule.windowSeconds,
    },
  };
}

/** Slack's incoming-webhook message: a fallback `text` and the same in blocks. */
export function slackBody(notice: AlertNotice): Record<string, unknown> {
  const { title, body } = noticeText(notice);
  const emoji = notice.event === 'RESOLVED' ? ':white_check_mark:' : ':rotating_light:';
  return {
    text: `${title}: ${body}`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: title.slice(0, 150) } },
      { type: 'section', text: { type: 'mrkdwn', text: `${emoji} ${body}` } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `rule *${notice.rule.name}* · ${notice.rule.kind} · alert ${notice.alertId}` }] },
    ],
  };
}

/** Sends one notice; throws a typed error (retryable or not) when the channel did not take it. */
export async function sendNotice(channel: AlertChannel, notice: AlertNotice, deps: ChannelDeps): Promise<{ channel: AlertChannelKind; to: string }> {
  if (channel.kind === 'EMAIL') return sendEmail(channel, notice, deps);
  if (!channel.url) throw new NonRetryableError(`The ${channel.kind} channel has no URL.`, { errorType: 'ValidationError' });
  const body = channel.kind === 'SLACK' ? slackBody(notice) : webhookBody(notice);
  const headers: Record<string, string> = {};
  // Signed over JSON.stringify(body): the very bytes the call sends.
  if (channel.kind === 'WEBHOOK' && channel.secret) headers[signatureHeader] = signWebhook(JSON.stringify(body), channel.secret);
  try {
    await callUpstream({ method: 'POST', url: channel.url, body, headers, timeoutMs: deps.timeoutMs, correlationId: deps.correlationId, signal: deps.signal });
  } catch (error) {
    // Taken is taken: Slack answers a plain "ok", and a receiver owes us no JSON.
    const status = (error as { statusCode?: number }).statusCode;
    if (!(error instanceof ValidationError && status !== undefined && status >= 200 && status < 300)) throw error;
  }
  return { channel: channel.kind, to: channel.url };
}

async function sendEmail(channel: AlertChannel, notice: AlertNotice, deps: ChannelDeps): Promise<{ channel: AlertChannelKind; to: string }> {
  if (!deps.smtpUrl) throw new NonRetryableError('An EMAIL channel needs SYNCBRIDGE_SMTP_URL (smtp://user:pass@host:port).', { errorType: 'ValidationError' });
  if (!channel.to) throw new NonRetryableError('The EMAIL channel has no recipients.', { errorType: 'ValidationError' });
  const { title, body } = noticeText(notice);
  // The URL's own settings, bounded in time like every upstream call.
  const url = new URL(deps.smtpUrl);
  url.searchParams.set('connectionTimeout', String(deps.timeoutMs));
  url.searchParams.set('greetingTimeout', String(deps.timeoutMs));
  url.searchParams.set('socketTimeout', String(deps.timeoutMs));
  const transport = nodemailer.createTransport(url.toString());
  try {
    await transport.sendMail({ from: deps.emailFrom, to: channel.to, subject: title, text: body, headers: { 'X-Correlation-ID': deps.correlationId } });
  } catch (error) {
    const code = (error as { responseCode?: number }).responseCode;
    // 5xx from the server: the message is refused as it is (bad recipient, …); anything else may pass.
    if (code !== undefined && code >= 500) throw new NonRetryableError(`The SMTP server refused the alert: ${(error as Error).message}`, { errorType: 'ValidationError' });
    throw new RetryableError(`The alert email could not be sent: ${(error as Error).message}`, { errorType: 'SmtpUnavailable' });
  } finally {
    transport.close();
  }
  return { channel: 'EMAIL', to: channel.to };
}
