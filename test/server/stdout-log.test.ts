/**
 * The logger's own destination, stdout, read from a real child process: lines are written
 * in batches (src/server/logger.ts `batchedStdout`), so these check what batching could
 * lose: a lone line on a quiet process still comes out while the process waits, and every
 * line, in order, comes out when the process exits (process.exit, as after a fatal error)
 * or when its event loop empties. The request lines of a real gateway on stdout are read in
 * main.test.ts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { LOG_BATCH_CHARS } from '../../src/server/logger.js';
import { waitFor } from '../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'kubegate-stdout-log-'));
const script = join(dir, 'child.ts');
const logger = resolve(import.meta.dirname, '../../src/server/logger.ts');
/**
 * The child: one line at once, then waits; on stdin's first byte writes LINES more
 * (together well over a batch) and ends as its argument says: `exit` (process.exit at once,
 * as serve.ts after a fatal error) or `empty` (nothing left to do: the event loop empties).
 */
const LINES = 500;
writeFileSync(
  script,
  `import { createLogger } from ${JSON.stringify(logger)};
const log = createLogger();
log.info({ n: 0 }, 'first');
process.stdin.once('data', () => {
  for (let n = 1; n <= ${LINES}; n++) log.info({ n, padding: 'x'.repeat(40) }, 'line');
  if (process.argv[2] === 'exit') process.exit(0);
  process.stdin.destroy();
});
`,
);

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function start(mode: 'exit' | 'empty') {
  const child = spawn(process.execPath, ['--import', 'tsx', script, mode], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  let code: number | null | undefined;
  void exited.then((c) => {
    code = c;
  });
  const numbers = () =>
    out
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { n: number }).n);
  return {
    child,
    exited,
    numbers,
    output: () => out + err,
    gone: () => (code !== undefined ? `the child exited with ${code}: ${err}` : undefined),
  };
}

describe('the log on stdout, written in batches', () => {
  it('writes a lone line while the process waits, far below a batch', async () => {
    const c = start('exit');
    expect(JSON.stringify({ level: 'info', n: 0, msg: 'first' }).length).toBeLessThan(LOG_BATCH_CHARS);
    // The child is waiting on stdin: only the flush timer can write its one line.
    await waitFor(() => c.numbers().length === 1, {
      message: 'the first line on stdout while the child waits',
      observe: c.output,
      giveUpIf: c.gone,
    });
    c.child.stdin!.end('go');
    expect(await c.exited).toBe(0);
  });

  it.each(['exit', 'empty'] as const)(
    'loses no line and keeps their order when the process ends (%s)',
    async (mode) => {
      const c = start(mode);
      await waitFor(() => c.numbers().length === 1, {
        message: 'the first line',
        observe: c.output,
        giveUpIf: c.gone,
      });
      c.child.stdin!.end('go');
      expect(await c.exited).toBe(0);
      expect(c.numbers()).toEqual(Array.from({ length: LINES + 1 }, (_, n) => n));
    },
  );
});
