/**
 * src/server/held-shapes.ts holds one object of each shape `@whatwg-node/promise-helpers`
 * and Node's `process.nextTick` make, so that a full GC cannot free the maps the request
 * path's optimized code embeds. These check what would silently undo that:
 *  - a library on the request path resolving its own copy of the package (a dependency
 *    upgrade that nests one), whose objects the held ones would not share maps with;
 *  - the objects made after heavy use and a low-memory GC (what V8's memory reducer and the
 *    inspector's collectGarbage make) having maps no held object has (a shape left out, or a
 *    Node whose tick object is no longer a `TickObject` to the async hook). Read in a child
 *    process with V8's `%HaveSameMap`, since maps are not visible to JavaScript otherwise.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const shapes = join(root, 'src/server/held-shapes.ts');
const requireHere = createRequire(shapes);

/** The package's directory as `from` (a file inside some package) resolves it. */
function helpersDirFrom(from: string): string {
  const entry = createRequire(from).resolve('@whatwg-node/promise-helpers');
  return entry.slice(
    0,
    entry.lastIndexOf('/@whatwg-node/promise-helpers/') + '/@whatwg-node/promise-helpers/'.length,
  );
}

describe('the held shapes', () => {
  it('are made by the same copy of promise-helpers as every library on the request path uses', () => {
    const ours = helpersDirFrom(shapes);
    // The importers a gateway loads (found with a resolve hook on `npm start`), less
    // @graphql-tools/executor's, whose nested 2.x copy serves no request (our executor does).
    const libraries = [
      'graphql-yoga',
      '@envelop/core',
      '@envelop/instrumentation',
      '@whatwg-node/server',
      '@whatwg-node/node-fetch',
      '@whatwg-node/disposablestack',
    ];
    for (const library of libraries) {
      const entry = requireHere.resolve(library);
      expect({ library, copy: helpersDirFrom(entry) }).toEqual({ library, copy: ours });
    }
    expect(dirname(requireHere.resolve('@whatwg-node/promise-helpers'))).toMatch(/\/cjs$/);
  });

  describe('after heavy use and a low-memory GC', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubegate-held-shapes-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const script = join(dir, 'child.mts');
    writeFileSync(
      script,
      `import { Session } from 'node:inspector/promises';
import { captureTickObjects, heldPromiseHelpers, heldPromiseShapes, heldTickObjects } from ${JSON.stringify(shapes)};
// tsx's parser knows no natives syntax; V8's, behind the flag, parses this one function.
const haveSameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)');
const values = [{ a: 1 }, 1, 1.5, 'text', undefined, null, [1], new Error('e')];
let sink = 0;
for (const h of heldPromiseHelpers) {
  for (let i = 0; i < 200_000; i++) {
    const value = values[i % values.length];
    const r = h.handleMaybePromise(() => value, (v) => (v === undefined ? 0 : 1), () => 2, () => undefined);
    sink += typeof r === 'number' ? r : 0;
    h.fakeRejectPromise(values[(i + 3) % values.length]).catch(() => undefined);
    h.fakePromise({ then: (resolve) => resolve(value) });
  }
}
await new Promise((done) => {
  let left = 200_000;
  const step = (x) => (--left === 0 ? done(x) : process.nextTick(step, x));
  process.nextTick(step, 1);
});
const session = new Session();
session.connect();
await session.post('HeapProfiler.collectGarbage');
await session.post('HeapProfiler.collectGarbage');
session.disconnect();
const same = heldPromiseHelpers.map((h, n) => {
  const fresh = [
    h.fakePromise({ b: 2 }),
    h.fakePromise(7),
    h.fakePromise(undefined),
    h.fakePromise({ then: (resolve) => resolve(1) }),
    h.fakeRejectPromise(new TypeError('t')),
  ];
  return fresh.map((o) => heldPromiseShapes[n].some((held) => haveSameMap(o, held)));
});
const ticks = captureTickObjects().map((o) => heldTickObjects.some((held) => haveSameMap(o, held)));
process.stdout.write(JSON.stringify({ same, ticks, held: heldTickObjects.length, sink }));
`,
    );

    it('the library and Node make their objects with exactly the held objects’ maps', async () => {
      const child = spawn(process.execPath, ['--allow-natives-syntax', '--import', 'tsx', script], {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => {
        out += d;
      });
      child.stderr.on('data', (d) => {
        err += d;
      });
      const code = await new Promise<number | null>((done) => child.on('exit', done));
      expect({ code, err }).toEqual({ code: 0, err: '' });
      const answer = JSON.parse(out) as { same: boolean[][]; ticks: boolean[]; held: number; sink: number };
      expect(answer.sink).toBeGreaterThan(0);
      // Each of [fakePromise(object), (number), (undefined), (thenable), fakeRejectPromise] has
      // the map of one held object of its instance, [ESM, CJS].
      expect(answer.same).toEqual([
        [true, true, true, true, true],
        [true, true, true, true, true],
      ]);
      // Node's tick objects, without and with arguments.
      expect({ held: answer.held, ticks: answer.ticks }).toEqual({ held: 2, ticks: [true, true] });
    }, 60_000);
  });
});
