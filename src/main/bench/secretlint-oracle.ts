import { rules } from '@secretlint/secretlint-rule-preset-recommend';

/**
 * secretlint's recommended preset (MIT) run on a chat message: the spans its rules report. The preset's rules are
 * code written against secretlint's file-linting API (and import node:path), so the product's pure redact() cannot
 * load them; the corpus test and `npm run bench:redact` run them here as an independent oracle for secrets.
 */
interface Rule {
  meta: { id: string; type?: string };
  create(context: unknown, options: Record<string, unknown>): { file?(source: unknown): unknown };
}

export async function secretlintSpans(content: string): Promise<Array<{ start: number; end: number; rule: string }>> {
  const found: Array<{ start: number; end: number; rule: string }> = [];
  for (const rule of rules as unknown as Rule[]) {
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
