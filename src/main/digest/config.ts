import { ConfigError, type DigestConfig } from '../config.js';

/** What sending needs, or a message naming the missing variable (the variables: readDigestConfig in src/main/config.ts). */
export function requireSmtp(c: DigestConfig): { smtpUrl: string; to: string[]; from: string } {
  if (!c.SMTP_URL) throw new ConfigError('SMTP_URL is not set: the digest is sent by SMTP (e.g. smtps://user:pass@smtp.example.com).');
  if (!c.UIS_DIGEST_TO?.length) throw new ConfigError('UIS_DIGEST_TO is not set: give the recipients, comma-separated.');
  return { smtpUrl: c.SMTP_URL, to: c.UIS_DIGEST_TO, from: c.UIS_DIGEST_FROM };
}
