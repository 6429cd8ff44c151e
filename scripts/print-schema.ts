/**
 * Writes the printed SDL to schema/schema.graphql (`npm run schema`), sorted so that the
 * committed file changes only when the schema does, not when type files move around.
 * `--check` exits 1 instead of writing when the committed file is stale.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { buildSchema } from '../src/schema/index.js';

export const SCHEMA_FILE = fileURLToPath(new URL('../schema/schema.graphql', import.meta.url));

export function printedSchema(): string {
  return `${printSchema(lexicographicSortSchema(buildSchema()))}\n`;
}

async function main(): Promise<void> {
  const text = printedSchema();
  if (process.argv.includes('--check')) {
    const committed = await readFile(SCHEMA_FILE, 'utf8').catch(() => '');
    if (committed !== text) {
      console.error(`${SCHEMA_FILE} is stale: run npm run schema`);
      process.exitCode = 1;
    }
    return;
  }
  await writeFile(SCHEMA_FILE, text);
  console.log(`wrote ${SCHEMA_FILE}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
