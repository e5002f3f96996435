/**
 * secretlint's recommended preset (MIT) run on a chat message: the spans its rules report. The preset's rules are
 * code written against secretlint's file-linting API (and import node:path), so the product's pure redact() cannot
 * load them; the corpus test and `npm run bench:redact` run them here as an independent oracle for secrets.
 * The preset is a devDependency, so it is loaded on first use: the shipped CLI needs it for this oracle only.
 */
interface Rule {
  meta: { id: string; type?: string };
  create(context: unknown, options: Record<string, unknown>): { file?(source: unknown): unknown };
}

const PRESET = '@secretlint/secretlint-rule-preset-recommend';
let preset: Promise<Rule[] | undefined> | undefined;

/** The preset's rules, or undefined when the devDependency is not installed. */
export function loadSecretlintRules(): Promise<Rule[] | undefined> {
  preset ??= import(PRESET).then(
    (m: { rules: unknown }) => m.rules as Rule[],
    (e: NodeJS.ErrnoException) => {
      if (e.code === 'ERR_MODULE_NOT_FOUND') return undefined;
      throw e;
    },
  );
  return preset;
}

export const SECRETLINT_MISSING = `${PRESET} is not installed (a devDependency: npm install --include=dev)`;

export async function secretlintSpans(content: string): Promise<Array<{ start: number; end: number; rule: string }>> {
  const rules = await loadSecretlintRules();
  if (!rules) throw new Error(SECRETLINT_MISSING);
  const found: Array<{ start: number; end: number; rule: string }> = [];
  for (const rule of rules) {
    if (rule.meta.type === 'filter') continue;
    const context = {
      createTranslator: () => (id: string, data: unknown) => ({ message: id, data }),
      report: (d: { range: [number, number] }) => found.push({ start: d.range[0], end: d.range[1], rule: rule.meta.id }),
      ignore: () => undefined,
    };
    const handlers = rule.create(context, {});
    await handlers.file?.({ content, filePath: undefined, ext: '.txt', contentType: 'text' });
  }
  return found;
}
