/**
 * Secret formats that identify themselves by a prefix, as data: one row per issuer. The formats are the ones the
 * issuers document; the list of issuers follows the rule sets of gitleaks (config/gitleaks.toml, MIT) and secretlint's
 * recommended preset (@secretlint/secretlint-rule-preset-recommend, MIT), whose rules are code bound to a file-linting
 * API and import node:path, so they cannot run inside this pure module. The preset runs in the tests and in
 * `npm run bench:redact` instead, as an oracle: every secret it finds in the corpus must be redacted here too.
 */
export interface SecretRule {
  /** The issuer and kind of credential, for docs and debugging. */
  id: string;
  /** Lower-case substrings of which one must be in the text for the rule to run (the gitleaks "keywords" idea). */
  keywords: readonly string[];
  /** Source of a global regular expression matching the whole secret. */
  pattern: string;
  flags?: string;
}

export const SECRET_RULES: readonly SecretRule[] = [
  { id: 'private-key-block', keywords: ['private key'], pattern: String.raw`-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----[\s\S]{16,10000}?-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----` },
  { id: 'anthropic', keywords: ['sk-ant-'], pattern: String.raw`\bsk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{80,120}|\bsk-ant-[A-Za-z0-9_-]{24,}` },
  { id: 'openai', keywords: ['sk-'], pattern: String.raw`\bsk-(?:proj|svcacct|admin|None)-[A-Za-z0-9_-]{20,}|\bsk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}\b|\bsk-[A-Za-z0-9_-]{32,}` },
  { id: 'github', keywords: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_'], pattern: String.raw`\bgh[pousr]_[A-Za-z0-9]{36,255}\b|\bgithub_pat_[A-Za-z0-9_]{60,255}\b` },
  { id: 'gitlab', keywords: ['glpat-', 'glptt-', 'gldt-', 'glrt-', 'glsoat-', 'glcbt-'], pattern: String.raw`\bgl(?:pat|ptt|dt|rt|soat|cbt)-[A-Za-z0-9_.-]{20,}` },
  // AWS access key ids: long-term (AKIA), temporary session (ASIA) and the other unique-id prefixes AWS documents.
  { id: 'aws-access-key-id', keywords: ['akia', 'asia', 'abia', 'acca', 'a3t', 'agpa', 'aida', 'aroa', 'aipa', 'anpa', 'anva', 'apka'], pattern: String.raw`\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16}\b` },
  { id: 'aws-session-token', keywords: ['fwogzxivyxdz', 'iqojb3jpz2lux2vj'], pattern: String.raw`\b(?:FwoGZXIvYXdz|IQoJb3JpZ2luX2Vj)[A-Za-z0-9/+=]{40,}` },
  { id: 'slack-token', keywords: ['xox', 'xapp-'], pattern: String.raw`\bxox[abposre]-[0-9A-Za-z-]{10,}|\bxapp-\d-[A-Z0-9]+-\d+-[a-z0-9]+` },
  { id: 'slack-webhook', keywords: ['hooks.slack.com'], pattern: String.raw`https?://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_-]{20,}` },
  { id: 'discord-webhook', keywords: ['discord'], pattern: String.raw`https?://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/\d+/[A-Za-z0-9_-]{40,}` },
  { id: 'google-api-key', keywords: ['aiza'], pattern: String.raw`\bAIza[0-9A-Za-z_-]{35}` },
  { id: 'google-oauth-token', keywords: ['ya29.'], pattern: String.raw`\bya29\.[0-9A-Za-z_-]{30,}` },
  { id: 'google-oauth-secret', keywords: ['gocspx-'], pattern: String.raw`\bGOCSPX-[A-Za-z0-9_-]{28}` },
  { id: 'stripe', keywords: ['sk_live_', 'sk_test_', 'rk_live_', 'rk_test_', 'whsec_'], pattern: String.raw`\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{20,}|\bwhsec_[A-Za-z0-9]{24,}` },
  { id: 'sendgrid', keywords: ['sg.'], pattern: String.raw`\bSG\.[A-Za-z0-9_-]{20,24}\.[A-Za-z0-9_-]{39,50}` },
  { id: 'npm', keywords: ['npm_'], pattern: String.raw`\bnpm_[A-Za-z0-9]{36}\b` },
  { id: 'pypi', keywords: ['pypi-'], pattern: String.raw`\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}` },
  { id: 'huggingface', keywords: ['hf_'], pattern: String.raw`\bhf_[A-Za-z0-9]{34,}\b` },
  { id: 'groq', keywords: ['gsk_'], pattern: String.raw`\bgsk_[A-Za-z0-9]{48,}\b` },
  { id: 'linear', keywords: ['lin_api_'], pattern: String.raw`\blin_api_[A-Za-z0-9]{40}\b` },
  { id: 'notion', keywords: ['secret_', 'ntn_'], pattern: String.raw`\bsecret_[A-Za-z0-9]{43}\b|\bntn_[A-Za-z0-9]{40,}\b` },
  { id: 'shopify', keywords: ['shpat_', 'shpss_', 'shpca_', 'shppa_'], pattern: String.raw`\bshp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}\b` },
  { id: 'twilio', keywords: ['sk', 'ac'], pattern: String.raw`\b(?:SK|AC)[0-9a-f]{32}\b` },
  { id: 'mailgun', keywords: ['key-'], pattern: String.raw`\bkey-[0-9a-f]{32}\b` },
  { id: 'square', keywords: ['sq0', 'eaaa'], pattern: String.raw`\bsq0(?:atp|csp)-[0-9A-Za-z_-]{22,43}|\bEAAA[A-Za-z0-9_-]{60}` },
  { id: 'facebook-token', keywords: ['eaace'], pattern: String.raw`\bEAACEdEose0cBA[0-9A-Za-z]+` },
  { id: 'telegram-bot', keywords: [':aa'], pattern: String.raw`\b\d{8,10}:AA[0-9A-Za-z_-]{33}\b` },
  { id: 'digitalocean', keywords: ['dop_v1_', 'doo_v1_', 'dor_v1_'], pattern: String.raw`\bdo[opr]_v1_[a-f0-9]{64}\b` },
  { id: 'databricks', keywords: ['dapi'], pattern: String.raw`\bdapi[a-f0-9]{32}(?:-\d)?\b` },
  { id: 'azure-storage', keywords: ['accountkey='], pattern: String.raw`(?<=AccountKey=)[A-Za-z0-9+/]{86}==`, flags: 'i' },
  { id: 'jwt', keywords: ['eyj'], pattern: String.raw`\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}` },
  // Credentials inside a URL (database connection strings, basic auth): the password only.
  { id: 'url-password', keywords: ['://'], pattern: String.raw`(?<=\b[a-z][a-z0-9+.-]{1,20}://[^\s:/@]{1,64}:)[^\s@/]{3,128}(?=@[\w.-]+)`, flags: 'i' },
];
