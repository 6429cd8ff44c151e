/**
 * Small clients for the simulator tests: fetch over HTTPS trusting the simulator's CA,
 * a raw watch-stream reader (NDJSON lines, clean end vs reset), one-connection GETs for
 * counting TCP connections, metric look-ups and a poll-until helper.
 *
 * test/helpers/harness.ts has a simFetch too, but it imports the whole gateway; the
 * simulator's tests must not depend on the layers above it, so they use this one.
 */
import { request as httpsRequest } from 'node:https';
import { Agent, fetch as undiciFetch } from 'undici';
import { parsePrometheusText } from '../../src/simulator/metrics.js';
import type { Simulator } from '../../src/simulator/server.js';

export const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io';

const agents = new WeakMap<Simulator, Agent>();

export interface FetchInit {
  method?: string;
  body?: string;
  headers?: Record<string, string>;
  /** A bearer token other than the admin one; null sends no Authorization header. */
  token?: string | null;
  /** 'manual' answers a redirect as it comes instead of following it. */
  redirect?: 'manual';
}

function authHeaders(sim: Simulator, token: string | null | undefined): Record<string, string> {
  if (token === null) return {};
  return { authorization: `Bearer ${token ?? sim.adminToken}` };
}

/** fetch against a simulator over one pooled keep-alive agent that trusts its CA. */
export function simFetch(sim: Simulator, path: string, init: FetchInit = {}) {
  let agent = agents.get(sim);
  if (!agent) {
    agent = new Agent({ connect: { ca: sim.caPem } });
    agents.set(sim, agent);
  }
  return undiciFetch(`${sim.url}${path}`, {
    method: init.method ?? 'GET',
    body: init.body,
    headers: { ...authHeaders(sim, init.token), ...init.headers },
    dispatcher: agent,
    redirect: init.redirect,
  });
}

/** GET JSON with the admin token; fails the test with the body when the code is not the expected one. */
export async function getJson<T = Record<string, unknown>>(
  sim: Simulator,
  path: string,
  init: FetchInit & { expect?: number } = {},
): Promise<T> {
  const res = await simFetch(sim, path, init);
  const text = await res.text();
  const expected = init.expect ?? 200;
  if (res.status !== expected) {
    throw new Error(`${init.method ?? 'GET'} ${path}: expected ${expected}, received ${res.status}: ${text}`);
  }
  return JSON.parse(text) as T;
}

/** One GET on a connection of its own (no keep-alive), so each call is exactly one TCP connection. */
export function freshGet(
  sim: Simulator,
  path: string,
  token: string | null = sim.adminToken,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      `${sim.url}${path}`,
      {
        ca: sim.caPem,
        agent: false,
        headers: { connection: 'close', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

export async function scrape(sim: Simulator): Promise<Map<string, number>> {
  const res = await simFetch(sim, '/metrics', { token: null });
  return parsePrometheusText(await res.text());
}

/** The value of one series, found by name and labels in any order (0 when absent). */
export function metric(
  metrics: Map<string, number>,
  name: string,
  labels: Record<string, string> = {},
): number {
  for (const [key, value] of metrics) {
    const brace = key.indexOf('{');
    const keyName = brace < 0 ? key : key.slice(0, brace);
    if (keyName !== name) continue;
    const found = new Map<string, string>();
    for (const m of (brace < 0 ? '' : key.slice(brace)).matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      found.set(m[1], m[2]);
    }
    if (Object.entries(labels).every(([k, v]) => found.get(k) === v)) return value;
  }
  return 0;
}

// biome-ignore lint/suspicious/noExplicitAny: watch event objects are open-ended JSON
export type AnyJson = any;

export interface WatchEvent {
  type: string;
  object: AnyJson;
}

/** How a watch stream finished: the server ended it cleanly, or the connection broke. */
export type WatchEnd = 'end' | 'reset';

/**
 * A raw watch request. Events are parsed line by line as they arrive; `next` and
 * `until` wait for them, `ended` resolves with how the stream finished.
 */
export class WatchStream {
  readonly events: WatchEvent[] = [];
  status = 0;
  headers: Record<string, string | string[] | undefined> = {};
  readonly ended: Promise<WatchEnd>;
  private cursor = 0;
  private waiters: (() => void)[] = [];
  private finish!: (how: WatchEnd) => void;
  private endedHow: WatchEnd | undefined;
  private readonly abort = new AbortController();

  private constructor() {
    this.ended = new Promise((resolve) => {
      this.finish = (how) => {
        if (this.endedHow) return;
        this.endedHow = how;
        resolve(how);
        this.wake();
      };
    });
  }

  static open(sim: Simulator, path: string, headers: Record<string, string> = {}, token?: string | null) {
    const stream = new WatchStream();
    return new Promise<WatchStream>((resolve, reject) => {
      const req = httpsRequest(
        `${sim.url}${path}`,
        {
          ca: sim.caPem,
          agent: false,
          signal: stream.abort.signal,
          headers: { ...authHeaders(sim, token), ...headers },
        },
        (res) => {
          stream.status = res.statusCode ?? 0;
          stream.headers = res.headers;
          let buffer = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            buffer += chunk;
            let newline = buffer.indexOf('\n');
            while (newline >= 0) {
              const line = buffer.slice(0, newline);
              buffer = buffer.slice(newline + 1);
              if (line.trim()) stream.push(JSON.parse(line) as WatchEvent);
              newline = buffer.indexOf('\n');
            }
          });
          res.on('end', () => {
            // A non-watch reply (a Status error) is one JSON body without a newline.
            if (buffer.trim()) stream.push(JSON.parse(buffer) as WatchEvent);
            stream.finish('end');
          });
          res.on('aborted', () => stream.finish('reset'));
          res.on('error', () => stream.finish('reset'));
          res.on('close', () => stream.finish(res.complete ? 'end' : 'reset'));
          resolve(stream);
        },
      );
      req.on('error', (err) => {
        stream.finish('reset');
        reject(err);
      });
      req.end();
    });
  }

  get done(): WatchEnd | undefined {
    return this.endedHow;
  }

  /** How the stream finished; fails when it is still open after `timeoutMs`. */
  async end(timeoutMs = 10_000): Promise<WatchEnd> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new Error(`the watch was still open after ${timeoutMs} ms (${this.events.length} events)`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.ended, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The next unread event; fails when the stream ends or nothing comes within the timeout. */
  async next(timeoutMs = 5000): Promise<WatchEvent> {
    const deadline = Date.now() + timeoutMs;
    while (this.cursor >= this.events.length) {
      if (this.endedHow) {
        throw new Error(`the watch ended (${this.endedHow}) after ${this.events.length} events`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no watch event within ${timeoutMs} ms (${this.events.length} so far)`);
      await this.wait(left);
    }
    return this.events[this.cursor++];
  }

  /** Reads events until one satisfies `predicate`; returns everything read on the way, that one last. */
  async until(predicate: (e: WatchEvent) => boolean, timeoutMs = 5000): Promise<WatchEvent[]> {
    const deadline = Date.now() + timeoutMs;
    const read: WatchEvent[] = [];
    for (;;) {
      const event = await this.next(Math.max(1, deadline - Date.now()));
      read.push(event);
      if (predicate(event)) return read;
    }
  }

  /** Reads exactly `n` events. */
  async take(n: number, timeoutMs = 5000): Promise<WatchEvent[]> {
    const deadline = Date.now() + timeoutMs;
    const read: WatchEvent[] = [];
    while (read.length < n) read.push(await this.next(Math.max(1, deadline - Date.now())));
    return read;
  }

  /** Events received but not read yet. */
  get unread(): WatchEvent[] {
    return this.events.slice(this.cursor);
  }

  close(): void {
    this.abort.abort();
  }

  private push(event: WatchEvent): void {
    this.events.push(event);
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/** `namespace/name` (or `name`) of an object, as the store keys it. */
export function keyOf(obj: { metadata?: { name?: string; namespace?: string } }): string {
  const meta = obj.metadata ?? {};
  return meta.namespace ? `${meta.namespace}/${meta.name}` : String(meta.name);
}
