/**
 * The layer rule bites: `tsx scripts/check-layers.ts` (what `npm run lint`, so `npm test`,
 * runs) passes on the tree and fails, naming the rule, on each kind of forbidden import
 * planted in a copy of it. The command runs twice (a pass and a failure: its exit code and
 * what it prints); the other cases call its `checkLayers` here, since a process per case
 * (loading TypeScript) took 3-4 s each.
 *
 * The imports are planted in a copy of src/ (`--root`), never in the tree itself: the suite
 * runs files in parallel, and a file appearing and vanishing under src/ broke whatever else
 * read the tree at that moment (a bench test's tsc build failed with "File
 * 'src/kube/__planted__.ts' not found" in CI).
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkLayers } from '../../scripts/check-layers.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const NODE = join(ROOT, 'node_modules', 'node', 'bin', 'node');
const planted: string[] = [];
let copy = '';

beforeAll(() => {
  copy = mkdtempSync(join(tmpdir(), 'kubegate-layers-'));
  cpSync(join(ROOT, 'src'), join(copy, 'src'), { recursive: true });
});

afterAll(() => rmSync(copy, { recursive: true, force: true }));

function plant(path: string, text: string): void {
  const file = join(copy, path);
  planted.push(file);
  writeFileSync(file, text);
}

async function command(root = copy): Promise<{ code: number; stderr: string }> {
  try {
    await run(NODE, ['--import', 'tsx', 'scripts/check-layers.ts', '--root', root], { cwd: ROOT });
    return { code: 0, stderr: '' };
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
}

afterEach(() => {
  for (const file of planted.splice(0)) rmSync(file, { force: true });
});

describe('the layer rule', () => {
  it('passes on the tree', async () => {
    expect(await command(ROOT)).toEqual({ code: 0, stderr: '' });
  });

  it('passes on the copy the imports are planted in', () => {
    expect(checkLayers(copy)).toEqual([]);
  });

  it('exits 1 on a violation, printing the file, the line and the rule', async () => {
    plant(
      'src/kube/__planted__.ts',
      "// planted by test/architecture/layers.test.ts\nimport { createContext } from '../loaders/index.js';\nexport const f = createContext;\n",
    );
    const { code, stderr } = await command();
    expect(code).toBe(1);
    expect(stderr).toContain('src/kube/__planted__.ts:2: [layer-order] kube may import');
    expect(stderr).toContain('layers: 1 violation(s) of the layer rule (docs/ARCHITECTURE.md)');
  });

  it.each([
    [
      'client-node-only-in-kube',
      'src/loaders/__planted__.ts',
      "import type { V1Pod } from '@kubernetes/client-node';\nexport type P = V1Pod;\n",
    ],
    [
      'schema-kube-types-only',
      'src/schema/__planted__.ts',
      "import { podPhase } from '../kube/rules.js';\nexport const f = podPhase;\n",
    ],
    [
      'layer-order',
      'src/kube/__planted__.ts',
      "import { createContext } from '../loaders/index.js';\nexport const f = createContext;\n",
    ],
    [
      'simulator-stands-alone',
      'src/simulator/__planted__.ts',
      "export { keyOf } from '../kube/object-keys.js';\n",
    ],
  ])('fails on a planted import that breaks %s, naming the rule and the line', (rule, path, text) => {
    plant(path, `// planted by test/architecture/layers.test.ts\n${text}`);
    expect(checkLayers(copy)).toEqual([expect.objectContaining({ file: path, line: 2, rule })]);
  });

  it('lets the schema take types from kube', () => {
    plant(
      'src/schema/__planted__.ts',
      "import type { KindName } from '../kube/kinds.js';\nexport type K = KindName;\n",
    );
    expect(checkLayers(copy)).toEqual([]);
  });
});
