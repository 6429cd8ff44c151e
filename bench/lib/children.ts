/**
 * Child processes of the harness (simulator, ceiling server, gateways): each runs in its
 * own process so that its CPU and memory are charged to it alone. Every child is
 * registered, and `stopAll` (called from `finally`, and on exit or a signal) ends them, so
 * a failed run leaves nothing behind. Output goes to a log file and is scanned for the
 * lines the harness waits for.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';

const KEEP_CHARS = 256 * 1024;
const live = new Set<Child>();

export interface ProcMemory {
  /** Resident set size now. */
  rssBytes: number;
  /** Peak resident set size since the process started (VmHWM). */
  peakRssBytes: number;
}

/** Reads /proc/<pid>/status (Linux); null where there is no /proc. */
export function procMemory(pid: number): ProcMemory | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) =>
      Number(status.match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'))?.[1] ?? NaN) * 1024;
    return { rssBytes: kb('VmRSS'), peakRssBytes: kb('VmHWM') };
  } catch {
    return null;
  }
}

export interface NodeMemory {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

interface Waiter {
  pattern: RegExp;
  resolve: (m: RegExpMatchArray) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class Child {
  readonly proc: ChildProcess;
  readonly exited: Promise<number | null>;
  private text = '';
  private waiters: Waiter[] = [];
  private exitCode: number | null | undefined;
  private readonly log: WriteStream;
  private inspectorUrl?: Promise<string>;

  constructor(
    readonly name: string,
    command: string,
    args: string[],
    options: { cwd: string; logDir: string; env?: NodeJS.ProcessEnv },
  ) {
    this.log = createWriteStream(join(options.logDir, `${name}.log`));
    this.proc = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(this);
    const onData = (chunk: Buffer) => {
      this.log.write(chunk);
      this.text = (this.text + chunk.toString()).slice(-KEEP_CHARS);
      for (const w of [...this.waiters]) {
        const m = this.text.match(w.pattern);
        if (m) this.settle(w, () => w.resolve(m));
      }
    };
    this.proc.stdout!.on('data', onData);
    this.proc.stderr!.on('data', onData);
    this.exited = new Promise((resolve) => {
      this.proc.once('exit', (code, signal) => {
        this.exitCode = code ?? (signal ? -1 : null);
        live.delete(this);
        this.log.end();
        for (const w of [...this.waiters]) {
          this.settle(w, () =>
            w.reject(
              new Error(
                `${this.name} exited (${signal ?? code}) before printing ${w.pattern}:\n${this.tail()}`,
              ),
            ),
          );
        }
        resolve(code);
      });
      this.proc.once('error', (err) => {
        live.delete(this);
        for (const w of [...this.waiters]) this.settle(w, () => w.reject(err));
        resolve(null);
      });
    });
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  alive(): boolean {
    return this.exitCode === undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  tail(lines = 30): string {
    return this.text.split('\n').slice(-lines).join('\n');
  }

  /** Resolves with the first match of `pattern` in the output so far or to come. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    const now = this.text.match(pattern);
    if (now) return Promise.resolve(now);
    if (!this.alive()) return Promise.reject(new Error(`${this.name} is not running:\n${this.tail()}`));
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        pattern,
        resolve,
        reject,
        timer: setTimeout(
          () =>
            this.settle(w, () =>
              reject(
                new Error(`${this.name}: no ${pattern} within ${timeoutMs} ms; output:\n${this.tail()}`),
              ),
            ),
          timeoutMs,
        ),
      };
      this.waiters.push(w);
    });
  }

  private settle(w: Waiter, action: () => void): void {
    clearTimeout(w.timer);
    this.waiters = this.waiters.filter((x) => x !== w);
    action();
  }

  /**
   * Memory after a full GC, asked over the inspector protocol. The inspector is switched
   * on only now (SIGUSR1; the child runs with --inspect-port=127.0.0.1:0), so it cost
   * nothing during the load runs that came before.
   */
  async memoryAfterGc(timeoutMs = 60_000): Promise<NodeMemory> {
    return this.inspect(timeoutMs, async (call) => {
      await call('HeapProfiler.collectGarbage');
      await call('HeapProfiler.collectGarbage');
      const result = await call('Runtime.evaluate', {
        expression: 'JSON.stringify(process.memoryUsage())',
        returnByValue: true,
      });
      return JSON.parse((result.result as { value: string }).value) as NodeMemory;
    });
  }

  /** One full GC of the child, over the inspector as memoryAfterGc. */
  async collectGarbage(timeoutMs = 60_000): Promise<void> {
    await this.inspect(timeoutMs, async (call) => {
      await call('HeapProfiler.collectGarbage');
    });
  }

  /** A V8 heap snapshot of the child (its JSON text), over the inspector as memoryAfterGc. */
  async heapSnapshot(timeoutMs = 300_000): Promise<string> {
    return this.inspect(timeoutMs, async (call, onEvent) => {
      const chunks: string[] = [];
      onEvent('HeapProfiler.addHeapSnapshotChunk', (params) => chunks.push(params.chunk as string));
      await call('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
      return chunks.join('');
    });
  }

  private async inspect<T>(
    timeoutMs: number,
    use: (
      call: (method: string, params?: Record<string, unknown>) => Promise<Record<string, unknown>>,
      onEvent: (method: string, listener: (params: Record<string, unknown>) => void) => void,
    ) => Promise<T>,
  ): Promise<T> {
    this.inspectorUrl ??= (async () => {
      this.proc.kill('SIGUSR1');
      return (await this.waitFor(/Debugger listening on (ws:\/\/\S+)/, 10_000))[1];
    })();
    const url = await this.inspectorUrl;
    const ws = new WebSocket(url);
    try {
      await new Promise<void>((resolve, reject) => {
        ws.onopen = () => resolve();
        ws.onerror = () => reject(new Error(`${this.name}: cannot connect to the inspector at ${url}`));
      });
      let id = 0;
      const call = (method: string, params: Record<string, unknown> = {}) =>
        new Promise<Record<string, unknown>>((resolve, reject) => {
          const mine = ++id;
          const timer = setTimeout(
            () => reject(new Error(`${this.name}: inspector ${method} timed out`)),
            timeoutMs,
          );
          ws.addEventListener('message', function onMessage(event) {
            const msg = JSON.parse(String(event.data)) as { id?: number; result?: Record<string, unknown> };
            if (msg.id !== mine) return;
            clearTimeout(timer);
            ws.removeEventListener('message', onMessage);
            resolve(msg.result ?? {});
          });
          ws.send(JSON.stringify({ id: mine, method, params }));
        });
      const onEvent = (method: string, listener: (params: Record<string, unknown>) => void) =>
        ws.addEventListener('message', (event) => {
          const msg = JSON.parse(String(event.data)) as { method?: string; params?: Record<string, unknown> };
          if (msg.method === method) listener(msg.params ?? {});
        });
      return await use(call, onEvent);
    } finally {
      ws.close();
    }
  }

  /**
   * SIGTERM, then SIGKILL if it has not exited after `graceMs`. A child under `--cpu-prof`
   * (KUBEGATE_BENCH_CPU_PROF) writes its profile only as it exits, and a fleet gateway's
   * sixteen-minute profile was lost to the 5 s grace (no file, no error): such a child gets
   * two minutes.
   */
  async stop(graceMs = 5_000): Promise<void> {
    if (!this.alive()) return;
    this.proc.kill('SIGTERM');
    const grace = this.proc.spawnargs.includes('--cpu-prof') ? Math.max(graceMs, 120_000) : graceMs;
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), grace);
    await this.exited;
    clearTimeout(timer);
  }
}

/**
 * A Node child running an entry point (one process, no npx in between): a TypeScript one
 * through tsx's loader, a built `.js` one (bench/lib/build.ts) as it is, with `nodeArgs`.
 */
export function startNodeChild(
  name: string,
  entry: string,
  args: string[],
  options: { cwd: string; logDir: string },
  nodeArgs: string[] = [],
): Child {
  // KUBEGATE_BENCH_CPU_PROF=DIR: every child writes a V8 CPU profile to DIR when it exits
  // (Node refuses --cpu-prof in NODE_OPTIONS, so it has to be passed here).
  // KUBEGATE_BENCH_CPU_PROF_ONLY=gateway: only the children whose name contains it (at the
  // fleet size, profiling the five simulators too slowed their churn to a third of a core
  // each and distorted the sync being profiled).
  const profile = process.env.KUBEGATE_BENCH_CPU_PROF;
  const only = process.env.KUBEGATE_BENCH_CPU_PROF_ONLY;
  const profiling =
    profile && (only === undefined || name.includes(only))
      ? ['--cpu-prof', `--cpu-prof-dir=${profile}`, `--cpu-prof-name=${name}.cpuprofile`]
      : [];
  // KUBEGATE_BENCH_NODE_ARGS="--trace-gc ...": more Node/V8 flags for every child.
  const extra = (process.env.KUBEGATE_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  return new Child(
    name,
    process.execPath,
    [
      '--inspect-port=127.0.0.1:0',
      ...profiling,
      ...extra,
      ...nodeArgs,
      ...(entry.endsWith('.ts') ? ['--import', 'tsx'] : []),
      entry,
      ...args,
    ],
    options,
  );
}

/** Stops every child still running. */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((c) => c.stop()));
}

let hooked = false;
/** Makes sure no child outlives the harness, whatever way it ends. */
export function killChildrenOnExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const c of live) c.proc.kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      stopAll().finally(() => process.exit(130));
    });
  }
}
