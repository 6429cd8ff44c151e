/**
 * The committed artefacts must match what the code generates: schema/schema.graphql (the
 * printed Pothos schema) and src/generated/ (typed documents from codegen.ts). Each test
 * regenerates in memory or in a child process and compares; it fails when one is stale.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generate } from '@graphql-codegen/cli';
import { describe, expect, it } from 'vitest';
import config from '../../codegen.js';

const ROOT = join(import.meta.dirname, '../..');

describe('generated artefacts are up to date', () => {
  it('schema/schema.graphql is the printed schema (npm run schema)', async () => {
    // A child process runs the script exactly as `npm run schema` does, on Node's own module
    // resolution (one graphql instance), in its --check mode.
    const run = promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'scripts/print-schema.ts', '--check'],
      {
        cwd: ROOT,
      },
    );
    await expect(run).resolves.toMatchObject({ stderr: '' });
  });

  it('src/generated/ is what codegen.ts generates (npm run codegen)', async () => {
    const outputs = (await generate({ ...config, cwd: ROOT, silent: true }, false)) as {
      filename: string;
      content: string;
    }[];
    expect(outputs.length).toBeGreaterThanOrEqual(3);
    for (const { filename, content } of outputs) {
      const committed = await readFile(join(ROOT, filename), 'utf8').catch(() => '(missing)');
      expect(committed, `${filename} is stale: run npm run codegen`).toBe(content);
    }
  });
});
