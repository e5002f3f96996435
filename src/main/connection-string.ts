/**
 * Connection strings and the secrets in them. `redactConnectionString` is the one redaction for everything that shows
 * or logs a URL (errors, logs, workspace summaries, the workbench's pages); `connectionSecrets` lists the secret
 * values of one URL so a driver's message that echoes them alone can be scrubbed too.
 *
 * Forms covered (tests/unit/connection-string.test.ts has the table):
 * - userinfo: `scheme://user:pass@host`, `redis://:pass@host`, `//user:pass@host` (pg and ioredis accept it),
 *   a password containing `@` (userinfo ends at the LAST `@` of the authority, as WHATWG URL and the drivers read it),
 *   a username alone on http(s)/ws(s)/ftp (`https://TOKEN@host`: a token, not a name);
 * - query or fragment parameters named like a secret (`password`, `sslpassword`, `api-key`, `apikey`, `token`,
 *   `access_token`, `secret`, `client_secret`, `key`, `sig`…), in URLs and in libpq key=value DSNs
 *   (`host=db password='a b'`), `"password": "…"` in JSON, and `Bearer …`.
 * The URL parts follow WHATWG URL's authority rules (what pg-connection-string and ioredis use), and every redacted
 * URL is parsed again: if the parser still finds a password or a secret parameter, the whole token is hidden.
 */

/** True for a parameter name that carries a secret (case, `-` and `_` ignored). */
export function isSecretName(name: string): boolean {
  const n = name.toLowerCase().replace(/[-_.\s]/g, '');
  if (SECRET_EXACT.has(n)) return true;
  return SECRET_PARTS.some((p) => n.includes(p));
}
const SECRET_PARTS = ['password', 'passwd', 'secret', 'token', 'apikey', 'credential', 'signature', 'privatekey', 'accesskey', 'sessionkey', 'authkey'];
const SECRET_EXACT = new Set(['pwd', 'pass', 'key', 'sig', 'auth', 'authorization', 'sas']);

/** Schemes WHATWG URL treats as special: `\` ends the authority too, and a username alone may be a token. */
const SPECIAL = new Set(['http:', 'https:', 'ws:', 'wss:', 'ftp:', 'file:']);
const MASK = '***';

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** `a=1&password=x#token=y` → secret values masked, everything else byte for byte. */
function redactParams(tail: string): string {
  return tail.replace(/([?&;#])([^=&;#?]+)=([^&;#]*)/g, (m, sep: string, name: string, value: string) =>
    value && value !== MASK && isSecretName(safeDecode(name)) ? `${sep}${name}=${MASK}` : m,
  );
}

/** Where the userinfo ends in `rest` (the text after `scheme://`), or -1. */
function userinfoEnd(rest: string, special: boolean): number {
  const authEnd = rest.search(special ? /[/?#\\]/ : /[/?#]/);
  const authority = authEnd < 0 ? rest : rest.slice(0, authEnd);
  const at = authority.lastIndexOf('@');
  if (at >= 0 || special) return at;
  // Database URLs: a password with an unencoded / ? or # still ends at the last @, unless that @ is inside a
  // query parameter's value (postgres://host/db?application_name=a@b).
  const last = rest.lastIndexOf('@');
  if (last < 0) return -1;
  const q = rest.indexOf('?');
  return q >= 0 && q < last && rest.slice(q, last).includes('=') ? -1 : last;
}

function maskUserinfo(userinfo: string, special: boolean): string {
  const colon = userinfo.indexOf(':');
  if (colon >= 0) return `${userinfo.slice(0, colon)}:${MASK}`;
  return special && userinfo ? MASK : userinfo;
}

/** What WHATWG URL would still read as a secret in a redacted URL (true = something is left). */
function stillSecret(url: string): boolean {
  let u: URL;
  try {
    u = new URL(url.startsWith('//') ? `x:${url}` : url);
  } catch {
    return false;
  }
  if (u.password && u.password !== MASK) return true;
  if (u.username && SPECIAL.has(u.protocol) && !u.password && u.username !== MASK) return true;
  for (const [k, v] of u.searchParams) if (isSecretName(k) && v && v !== MASK) return true;
  return false;
}

/** One URL token (`scheme://…` or `//…`) with its credentials masked; the rest is kept byte for byte. */
function redactUrlToken(token: string): string {
  const m = /^([a-z][a-z0-9+.-]*:)?\/\//i.exec(token);
  if (!m) return token;
  const prefix = m[0];
  const special = SPECIAL.has((m[1] ?? '').toLowerCase());
  let rest = token.slice(prefix.length);
  const at = userinfoEnd(rest, special);
  if (at >= 0) rest = maskUserinfo(rest.slice(0, at), special) + rest.slice(at);
  const authEnd = rest.search(special ? /[/?#\\]/ : /[/?#]/);
  if (authEnd >= 0) rest = rest.slice(0, authEnd) + redactParams(rest.slice(authEnd));
  const out = prefix + rest;
  return stillSecret(out) ? `${prefix}${MASK}` : out;
}

const URL_TOKEN = /(?:\b[a-z][a-z0-9+.-]*:)?\/\/\S+/gi;
/** key=value pairs (libpq DSNs, query strings outside a URL, log fields); values may be quoted as libpq allows. */
const KEY_VALUE = /(^|[\s,;(&?{[])([A-Za-z_][\w.-]*)(\s*=\s*)('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\s&]+)/g;
/** "password": "…" in JSON. */
const JSON_FIELD = /("([^"\\]+)"\s*:\s*)"((?:[^"\\]|\\.)*)"/g;
/** A bearer credential: 8+ token characters, not a plain lowercase word ("Bearer authentication" stays). */
const BEARER = /\b(Bearer\s+)([A-Za-z0-9._~+/=-]{8,})/gi;

/**
 * Removes every credential from a connection string or from any text that may contain some (an error message, a
 * log line). Safe to apply twice.
 */
export function redactConnectionString(text: string): string {
  let out: string;
  const trimmed = text.trim();
  // A whole connection string with spaces in it (pg-connection-string encodes them, so pg accepts
  // postgres://u:p ss@host/db): one token, when WHATWG URL reads it as one URL.
  if (/\s/.test(trimmed) && /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) && parsesAsUrl(trimmed)) {
    const redacted = redactUrlToken(trimmed);
    out = text.replace(trimmed, () => redacted);
  } else {
    out = text.replace(URL_TOKEN, (t) => redactUrlToken(t));
  }
  out = out.replace(KEY_VALUE, (m, lead: string, name: string, eq: string, value: string) =>
    value !== MASK && isSecretName(name) ? `${lead}${name}${eq}${MASK}` : m,
  );
  out = out.replace(JSON_FIELD, (m, head: string, name: string, value: string) => (value && value !== MASK && isSecretName(name) ? `${head}"${MASK}"` : m));
  return out.replace(BEARER, (m, head: string, value: string) => (/^[a-z]+$/.test(value) ? m : `${head}${MASK}`));
}

function parsesAsUrl(s: string): boolean {
  try {
    new URL(s);
    return true;
  } catch {
    return false;
  }
}

/**
 * The secret values of one connection string (password as written and decoded, secret parameters), longest first,
 * for scrubbing a driver's message that echoes them without the URL.
 */
export function connectionSecrets(url: string): string[] {
  const found = new Set<string>();
  const add = (raw: string) => {
    for (const v of [raw, safeDecode(raw)]) if (v && v !== MASK && v.length >= 3) found.add(v);
  };
  const m = /^([a-z][a-z0-9+.-]*:)?\/\//i.exec(url.trim());
  if (m) {
    const special = SPECIAL.has((m[1] ?? '').toLowerCase());
    const rest = url.trim().slice(m[0].length);
    const at = userinfoEnd(rest, special);
    if (at >= 0) {
      const userinfo = rest.slice(0, at);
      const colon = userinfo.indexOf(':');
      if (colon >= 0) add(userinfo.slice(colon + 1));
      else if (special) add(userinfo);
    }
  }
  for (const p of url.matchAll(/[?&;#\s]([^=&;#?\s]+)=([^&;#\s]*)/g)) if (isSecretName(safeDecode(p[1]))) add(p[2]);
  for (const p of url.matchAll(KEY_VALUE)) if (isSecretName(p[2])) add(p[4].replace(/^(['"])(.*)\1$/, '$2'));
  return [...found].sort((a, b) => b.length - a.length);
}

/** Text with every occurrence of the given URLs' secrets, and any credential form, masked. */
export function scrubSecrets(text: string, urls: Array<string | null | undefined>): string {
  let out = redactConnectionString(text);
  for (const url of urls) {
    if (!url) continue;
    out = out.split(url).join(redactConnectionString(url));
    for (const s of connectionSecrets(url)) out = out.split(s).join(MASK);
  }
  return out;
}
