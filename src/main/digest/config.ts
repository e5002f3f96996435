import { z } from 'zod';
import { Cron } from 'croner';
import { describeIssues } from '../../shared/event.js';
import { DigestKind } from '../../shared/digest.js';
import { ConfigError } from '../config.js';
import { isValidTimeZone } from './periods.js';

const cronPattern = z.string().refine((p) => {
  try {
    new Cron(p, { paused: true }).stop();
    return true;
  } catch {
    return false;
  }
}, 'is not a valid cron pattern (e.g. "0 8 * * *")');

const emailList = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
  .pipe(z.array(z.email('must be a comma-separated list of e-mail addresses')).min(1, 'must name at least one recipient'));

/** The digest's environment variables (README "Configuration"), validated with messages naming the variable. */
const DigestEnv = z.object({
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://')
    .optional(),
  UIS_DIGEST_TO: emailList.optional(),
  UIS_DIGEST_FROM: z.string().min(3).default('User Intelligence System <uis-digest@localhost>'),
  UIS_DIGEST: z
    .string()
    .default('daily')
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(DigestKind).min(1)),
  UIS_DIGEST_TZ: z.string().default('UTC').refine(isValidTimeZone, 'is not an IANA time zone (e.g. Europe/Berlin)'),
  UIS_DIGEST_DAILY_CRON: cronPattern.default('0 8 * * *'),
  UIS_DIGEST_WEEKLY_CRON: cronPattern.default('0 8 * * 1'),
  UIS_DIGEST_WORKSPACE: z.string().min(1).optional(),
});
export type DigestConfig = z.infer<typeof DigestEnv>;

export function readDigestConfig(env: NodeJS.ProcessEnv = process.env): DigestConfig {
  const parsed = DigestEnv.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (!parsed.success) throw new ConfigError(`Invalid environment: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/** What sending needs, or a message naming the missing variable. */
export function requireSmtp(c: DigestConfig): { smtpUrl: string; to: string[]; from: string } {
  if (!c.SMTP_URL) throw new ConfigError('SMTP_URL is not set: the digest is sent by SMTP (e.g. smtps://user:pass@smtp.example.com).');
  if (!c.UIS_DIGEST_TO?.length) throw new ConfigError('UIS_DIGEST_TO is not set: give the recipients, comma-separated.');
  return { smtpUrl: c.SMTP_URL, to: c.UIS_DIGEST_TO, from: c.UIS_DIGEST_FROM };
}
