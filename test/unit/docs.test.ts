import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { RuleSchema } from '../../functions/domain/policy/schema';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DOCS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchorsOf(markdown: string): Set<string> {
  const withoutCode = markdown.replace(/```[\s\S]*?```/g, '');
  return new Set(
    [...withoutCode.matchAll(/^#{1,6} (.+)$/gm)].map((m) =>
      (m[1] ?? '')
        .toLowerCase()
        .replace(/[`*]/g, '')
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-'),
    ),
  );
}

describe('documentation', () => {
  it.each(DOCS)('%s links only to files and headings that exist', (doc) => {
    const markdown = read(doc).replace(/```[\s\S]*?```/g, '');
    const broken: string[] = [];
    for (const [, target = ''] of markdown.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^https?:/.test(target)) continue;
      const [path = '', anchor] = target.split('#');
      const file = path === '' ? doc : join(dirname(doc), path);
      if (!existsSync(join(ROOT, file))) broken.push(`${target} (no file ${file})`);
      else if (anchor && file.endsWith('.md') && !anchorsOf(read(file)).has(anchor))
        broken.push(`${target} (no heading #${anchor})`);
    }
    expect(broken).toEqual([]);
  });

  it("docs/policy.md's example rules are valid rules", () => {
    const rules = [...read('docs/policy.md').matchAll(/```json\n([\s\S]*?)```/g)]
      .map(([, body = '']) => body)
      .filter((body) => body.trimStart().startsWith('{') && body.includes('"match"'));
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) expect(RuleSchema.safeParse(JSON.parse(rule)).error?.issues).toBeUndefined();
  });
});
