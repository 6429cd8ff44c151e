/** The README's "Frontend clients" excerpts are quoted from the tested example files, verbatim. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const SOURCES = [
  'examples/clients/apollo.ts',
  'examples/clients/urql.ts',
  'examples/clients/relay/operations.ts',
];

describe('README Frontend clients', () => {
  it('quotes only text the example files hold', () => {
    const readme = read('README.md');
    const start = readme.indexOf('### Frontend clients');
    expect(start).toBeGreaterThan(-1);
    const section = readme.slice(start, readme.indexOf('\n### ', start + 1));
    const blocks = [...section.matchAll(/```(?:ts|graphql)\n([\s\S]*?)```/g)].map((m) =>
      // A "// ..." line stands for what the excerpt leaves out.
      m[1]
        .split('\n')
        .filter((line) => !line.trim().startsWith('// ...'))
        .join('\n'),
    );
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    const sources = SOURCES.map(read);
    for (const block of blocks)
      expect(
        sources.some((s) => s.includes(block)),
        block,
      ).toBe(true);
  });
});
