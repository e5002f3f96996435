import { createRequire } from 'node:module';
import { parse as parsePg } from 'pg-connection-string';
import { describe, expect, it } from 'vitest';
import { connectionSecrets, isSecretName, redactConnectionString, scrubSecrets } from '../../src/main/connection-string.js';

const require = createRequire(import.meta.url);
// ioredis's own URL reader: what the Redis client would take as username / password.
const { parseURL: parseRedis } = require('ioredis/built/utils/index.js') as { parseURL(url: string): Record<string, unknown> };

const S = 'Zq9-s3cr3t';

/** [input, expected output, the secrets that must be gone]. */
const TABLE: Array<[string, string, string[]]> = [
  // PostgreSQL: userinfo, a password with @ (the old redaction left "***@ss@host"), percent-encoding, query parameters
  [`postgres://founder:${S}@db.example.com:5432/product`, 'postgres://founder:***@db.example.com:5432/product', [S]],
  [`postgresql://founder:p@${S}@db.example.com/product`, 'postgresql://founder:***@db.example.com/product', [S, `p@${S}`]],
  [`postgres://founder:p%40${S}%3A@db.example.com/product`, 'postgres://founder:***@db.example.com/product', [S]],
  [`postgres://founder@db.example.com/product?password=${S}`, 'postgres://founder@db.example.com/product?password=***', [S]],
  [`postgres://db.example.com/product?sslmode=require&sslpassword=${S}&application_name=uis`, 'postgres://db.example.com/product?sslmode=require&sslpassword=***&application_name=uis', [S]],
  [`postgres://founder:${S}@/product?host=/var/run/postgresql`, 'postgres://founder:***@/product?host=/var/run/postgresql', [S]],
  [`postgres://founder:${S}@[::1]:5432/product`, 'postgres://founder:***@[::1]:5432/product', [S]],
  [`postgres://founder:ab#${S}@db.example.com/product`, 'postgres://founder:***@db.example.com/product', [S]],
  [`postgres://founder:ab/${S}@db.example.com/product`, 'postgres://founder:***@db.example.com/product', [S]],
  [`//founder:${S}@db.example.com/product`, '//founder:***@db.example.com/product', [S]],
  [`socket://founder:${S}@/var/run/postgresql?db=product`, 'socket://founder:***@/var/run/postgresql?db=product', [S]],
  [`socket:/var/run/postgresql?db=product&password=${S}`, 'socket:/var/run/postgresql?db=product&password=***', [S]],
  [`postgres://founder:p ${S}@db.example.com/product`, 'postgres://founder:***@db.example.com/product', [S]],
  // libpq key=value DSNs, quoted values too
  [`host=db.example.com user=founder password=${S} dbname=product`, 'host=db.example.com user=founder password=*** dbname=product', [S]],
  [`host=db password='a b\\' ${S}' sslpassword=${S}x`, "host=db password=*** sslpassword=***", [S]],
  // Redis
  [`redis://:${S}@cache.example.com:6379`, 'redis://:***@cache.example.com:6379', [S]],
  [`rediss://default:${S}@cache.example.com:6380/2`, 'rediss://default:***@cache.example.com:6380/2', [S]],
  [`redis://cache.example.com:6379/?password=${S}`, 'redis://cache.example.com:6379/?password=***', [S]],
  [`redis://cache.example.com:6379/0?username=app&password=${S}&family=6`, 'redis://cache.example.com:6379/0?username=app&password=***&family=6', [S]],
  // An LLM base URL with credentials; other secret parameter names; a token as the username
  [`http://user:${S}@llm.local:8080/v1?api-key=${S}k`, 'http://user:***@llm.local:8080/v1?api-key=***', [S]],
  [`https://api.example.com/v1?apikey=${S}&token=${S}1&access_token=${S}2&model=gpt`, 'https://api.example.com/v1?apikey=***&token=***&access_token=***&model=gpt', [S]],
  [`https://api.example.com/v1?api_key=${S}&X-Api-Key=${S}3&client_secret=${S}4&sig=${S}5`, 'https://api.example.com/v1?api_key=***&X-Api-Key=***&client_secret=***&sig=***', [S]],
  [`https://api.example.com/callback#access_token=${S}&state=1`, 'https://api.example.com/callback#access_token=***&state=1', [S]],
  [`https://${S}@git.example.com/repo.git`, 'https://***@git.example.com/repo.git', [S]],
  [`smtps://mailer:${S}@smtp.example.com:465`, 'smtps://mailer:***@smtp.example.com:465', [S]],
  // In text: error messages, log lines, JSON, a bearer header
  [`connect to postgres://u:${S}@h/db failed; redis://:${S}@r:1 too`, 'connect to postgres://u:***@h/db failed; redis://:***@r:1 too', [S]],
  [`{"url":"postgres://u:${S}@h/db","api_key":"${S}9"}`, '{"url":"postgres://u:***@h/db","api_key":"***"}', [S]],
  [`Authorization: Bearer ${S}`, 'Authorization: Bearer ***', [S]],
];

/** Left exactly as they are: nothing secret in them. */
const UNCHANGED = [
  'http://127.0.0.1:8787/#/overview',
  'https://example.com/users/@me',
  'postgres://postgres@127.0.0.1:5432/uis',
  'postgres://db.example.com/product?application_name=a@b&sslmode=require',
  'redis://127.0.0.1:6379',
  'password authentication failed for user "founder"',
  'Bearer authentication is required',
  'mia.smith@example.com wrote "hello"',
  'host=db sslkey=/etc/key.pem sslmode=verify-full',
];

describe('redactConnectionString', () => {
  it.each(TABLE)('%s', (input, expected, secrets) => {
    const out = redactConnectionString(input);
    expect(out).toBe(expected);
    for (const s of secrets) expect(out).not.toContain(s);
    // Idempotent: applying it again changes nothing.
    expect(redactConnectionString(out)).toBe(out);
  });

  it.each(UNCHANGED)('leaves %s alone', (text) => {
    expect(redactConnectionString(text)).toBe(text);
  });

  it('leaves nothing the drivers themselves would read as a password', () => {
    for (const [input] of TABLE) {
      const out = redactConnectionString(input);
      if (/^(postgres(ql)?|socket):/.test(input) || input.startsWith('//')) {
        const pg = parsePg(out);
        expect([undefined, '', '***'], out).toContain(pg.password);
        expect([undefined, '***'], out).toContain((pg as Record<string, unknown>).sslpassword);
      }
      if (/^rediss?:/.test(input)) {
        const r = parseRedis(out);
        expect([undefined, '', '***'], out).toContain(r.password);
      }
      if (/^\w+:\/\//.test(out)) {
        try {
          const u = new URL(out);
          expect(['', '***'], out).toContain(decodeURIComponent(u.password));
          for (const [k, v] of u.searchParams) if (isSecretName(k)) expect(v, `${out}: ${k}`).toBe('***');
        } catch {
          // the empty-host socket form is not a WHATWG URL; the pg parser above covered it
        }
      }
    }
  });

  it('the drivers read the original forms with the secret (the table tests what they use)', () => {
    expect(parsePg(`postgresql://founder:p@${S}@db.example.com/product`).password).toBe(`p@${S}`);
    expect(parsePg(`postgres://founder@db.example.com/product?password=${S}`).password).toBe(S);
    expect((parsePg(`postgres://db.example.com/product?sslpassword=${S}`) as Record<string, unknown>).sslpassword).toBe(S);
    expect(parseRedis(`redis://cache.example.com:6379/?password=${S}`).password).toBe(S);
    expect(parseRedis(`redis://:${S}@cache.example.com:6379`).password).toBe(S);
  });
});

describe('connectionSecrets / scrubSecrets', () => {
  it('lists the password as written and decoded, and secret parameters', () => {
    expect(connectionSecrets(`postgres://u:p%40${S}@h/db?sslpassword=${S}x`)).toEqual(expect.arrayContaining([`p%40${S}`, `p@${S}`, `${S}x`]));
    expect(connectionSecrets(`redis://:${S}@h:1`)).toEqual([S]);
    expect(connectionSecrets('redis://h:1')).toEqual([]);
  });

  it('scrubs a message that echoes the password alone', () => {
    const url = `postgres://u:p%40${S}@h/db`;
    expect(scrubSecrets(`auth failed for password "p@${S}" at ${url}`, [url])).toBe('auth failed for password "***" at postgres://u:***@h/db');
  });
});
