/**
 * The reflector's timing logic on a fake clock and a scripted client: backoff and its
 * reset, Retry-After, the jittered watch timeout, resuming from bookmarks, relisting at
 * once on 410, stop() during a backoff, and liveness: a watch silent for the interval is
 * restarted, and the status says stale with the age. Nothing here waits for real time; the
 * integration tests (convergence, relist-events) cover the same loop against the
 * simulator over HTTP.
 */
import type { V1Namespace } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type ListOptions,
  type ListPage,
  type WatchEventType,
  WatchHttpError,
  type WatchOptions,
} from '../../src/kube/client.js';
import { Reflector, type ReflectorOptions, type ReflectorSink } from '../../src/kube/reflector.js';
import { FakeClock } from '../helpers/fake-clock.js';

/** One watch the reflector opened: the test emits events and ends it. */
interface ScriptedWatch {
  at: number;
  options: WatchOptions;
  emit(type: WatchEventType, object: Record<string, unknown>): void;
  /** The server ends the stream cleanly (timeout). */
  end(): void;
  /** The stream breaks (reset). */
  fail(err: Error): void;
  stopped: boolean;
}

/** A client whose lists and watches the test scripts; it records when each call came. */
class ScriptedClient {
  readonly lists: { at: number; options: ListOptions }[] = [];
  readonly watches: ScriptedWatch[] = [];
  listResourceVersion = '100';
  /** Errors the next watch calls throw (before any stream), in order. */
  readonly watchErrors: Error[] = [];

  constructor(private readonly clock: FakeClock) {}

  async list(_kind: 'Namespace', options: ListOptions = {}): Promise<ListPage<'Namespace'>> {
    this.lists.push({ at: this.clock.now(), options });
    return { items: [ns('a', '90')], resourceVersion: this.listResourceVersion };
  }

  async watch(
    _kind: 'Namespace',
    options: WatchOptions,
    onEvent: (type: WatchEventType, object: Record<string, unknown>) => void,
  ) {
    const at = this.clock.now();
    const error = this.watchErrors.shift();
    if (error) {
      this.watches.push({ at, options, emit() {}, end() {}, fail() {}, stopped: true });
      throw error;
    }
    let settle!: (err?: Error) => void;
    const done = new Promise<void>((resolve, reject) => {
      settle = (err) => (err ? reject(err) : resolve());
    });
    const watch: ScriptedWatch = {
      at,
      options,
      emit: (type, object) => onEvent(type, object),
      end: () => settle(),
      fail: (err) => settle(err),
      stopped: false,
    };
    this.watches.push(watch);
    return {
      done,
      stop: () => {
        watch.stopped = true;
        settle();
      },
    };
  }

  get lastWatch(): ScriptedWatch {
    const last = this.watches.at(-1);
    if (!last) throw new Error('no watch opened yet');
    return last;
  }
}

function ns(name: string, resourceVersion: string): V1Namespace {
  return { metadata: { name, resourceVersion } };
}

class RecordingSink implements ReflectorSink<'Namespace'> {
  readonly calls: string[] = [];
  replace(items: V1Namespace[], rv: string): void {
    this.calls.push(`replace ${items.map((i) => i.metadata?.name).join(',')} @${rv}`);
  }
  added(obj: V1Namespace): void {
    this.calls.push(`added ${obj.metadata?.name}`);
  }
  modified(obj: V1Namespace): void {
    this.calls.push(`modified ${obj.metadata?.name}`);
  }
  deleted(obj: V1Namespace): void {
    this.calls.push(`deleted ${obj.metadata?.name}`);
  }
}

const reflectors: Reflector<'Namespace'>[] = [];
afterEach(async () => {
  await Promise.all(reflectors.splice(0).map((r) => r.stop()));
});

async function setup(options: Partial<ReflectorOptions<'Namespace'>> = {}) {
  const clock = new FakeClock(1_700_000_000_000);
  const client = new ScriptedClient(clock);
  const sink = new RecordingSink();
  const errors: unknown[] = [];
  const reflector = new Reflector({
    kind: 'Namespace',
    client: client as unknown as ReflectorOptions<'Namespace'>['client'],
    sink,
    clock,
    backoff: { initialMs: 800, maxMs: 30_000, resetAfterMs: 60_000 },
    onError: (err) => errors.push(err),
    ...options,
  });
  reflectors.push(reflector);
  reflector.start();
  await clock.advanceAsync(0);
  return { clock, client, sink, reflector, errors };
}

const serverError = () => new WatchHttpError(500, 'boom', null);

describe('Reflector timing on a fake clock', () => {
  it('lists, then watches from the list resourceVersion with a jittered timeout and bookmarks', async () => {
    const { client, sink, reflector } = await setup({ watchTimeoutSeconds: { min: 100, max: 200 } });
    expect(client.lists).toHaveLength(1);
    expect(sink.calls).toEqual(['replace a @100']);
    expect(client.watches).toHaveLength(1);
    // random() is 0.5: the timeout is the middle of [min, max].
    expect(client.lastWatch.options).toEqual({
      namespace: undefined,
      resourceVersion: '100',
      timeoutSeconds: 150,
      allowWatchBookmarks: true,
    });
    expect(reflector.status.synced && reflector.status.connected).toBe(true);
  });

  it('draws each watch timeout from [min, max] with the clock random()', async () => {
    const clock = new FakeClock();
    clock.randomValue = 0.25;
    const client = new ScriptedClient(clock);
    const reflector = new Reflector({
      kind: 'Namespace',
      client: client as unknown as ReflectorOptions<'Namespace'>['client'],
      sink: new RecordingSink(),
      clock,
    });
    reflectors.push(reflector);
    reflector.start();
    await clock.advanceAsync(0);
    // Default [240, 360] s: 240 + 120 * 0.25.
    expect(client.lastWatch.options.timeoutSeconds).toBe(270);
    clock.randomValue = 0.9;
    await clock.advanceAsync(5000);
    client.lastWatch.end();
    await clock.advanceAsync(0);
    expect(client.watches).toHaveLength(2);
    expect(client.lastWatch.options.timeoutSeconds).toBe(348);
  });

  it('resumes each watch from the last event or bookmark, and bookmarks are not events', async () => {
    const { clock, client, sink, reflector } = await setup();
    clock.advance(1000);
    client.lastWatch.emit('ADDED', ns('b', '101') as Record<string, unknown>);
    const eventAt = clock.now();
    expect(reflector.status.lastEventAt?.getTime()).toBe(eventAt);
    clock.advance(30_000);
    client.lastWatch.emit('BOOKMARK', { kind: 'Namespace', metadata: { resourceVersion: '250' } });
    expect(reflector.status.resourceVersion).toBe('250');
    // A bookmark moves the resourceVersion, not the time of the last event.
    expect(reflector.status.lastEventAt?.getTime()).toBe(eventAt);

    client.lastWatch.end(); // the server's timeout, after a healthy 31 s: resume at once
    await clock.advanceAsync(0);
    expect(client.watches).toHaveLength(2);
    expect(client.lastWatch.at).toBe(clock.now());
    expect(client.lastWatch.options.resourceVersion).toBe('250');
    expect(client.lists).toHaveLength(1);
    expect(sink.calls).toEqual(['replace a @100', 'added b']);
    expect(reflector.status.watchRestarts).toBe(1);
  });

  it('backs off exponentially with jitter, capped, on repeated failures', async () => {
    const { clock, client, errors } = await setup({
      backoff: { initialMs: 800, maxMs: 10_000, resetAfterMs: 60_000 },
    });
    client.watchErrors.push(...Array.from({ length: 7 }, serverError));
    client.lastWatch.fail(new Error('connection reset'));
    await clock.advanceAsync(0);

    // random() is 0.5: each delay is 3/4 of the step (half the step plus half of the other half).
    const expected = [600, 1200, 2400, 4800, 7500, 7500, 7500, 7500];
    for (const [i, delay] of expected.entries()) {
      const before = client.watches.length;
      await clock.advanceAsync(delay - 1);
      expect(client.watches.length, `no retry before ${delay} ms (attempt ${i + 1})`).toBe(before);
      await clock.advanceAsync(1);
      expect(client.watches.length, `a retry at ${delay} ms (attempt ${i + 1})`).toBe(before + 1);
    }
    expect(errors).toHaveLength(8);
    expect(client.lists).toHaveLength(1);
    // Every failure is on record; the last attempt succeeded and is streaming.
    expect(client.lastWatch.stopped).toBe(false);
  });

  it('reports the end of a failing episode once, when a watch opens: its failures and duration on the clock', async () => {
    const episodes: { failures: number; durationMs: number }[] = [];
    const { clock, client, errors } = await setup({
      backoff: { initialMs: 800, maxMs: 10_000, resetAfterMs: 60_000 },
      onRecovered: (episode) => episodes.push(episode),
    });
    expect(episodes, 'the first watch opening ends no episode').toEqual([]);
    client.watchErrors.push(...Array.from({ length: 3 }, serverError));
    client.lastWatch.fail(new Error('connection reset'));
    await clock.advanceAsync(0);
    // Retries after 600, 1200, 2400 ms fail; the one after 4800 ms opens.
    await clock.advanceAsync(600 + 1200 + 2400 + 4800);
    expect(errors).toHaveLength(4);
    expect(client.lastWatch.stopped).toBe(false);
    expect(episodes).toEqual([{ failures: 4, durationMs: 9000 }]);
    // A relist after 410 is an episode of one, ended by the watch that follows it at once.
    client.lastWatch.emit('ERROR', { kind: 'Status', code: 410, message: 'too old resource version' });
    await clock.advanceAsync(0);
    expect(episodes).toEqual([
      { failures: 4, durationMs: 9000 },
      { failures: 1, durationMs: 0 },
    ]);
  });

  it('honours Retry-After when it is longer than the backoff', async () => {
    const { clock, client, reflector } = await setup({ backoff: { initialMs: 50, maxMs: 1000 } });
    client.watchErrors.push(
      new WatchHttpError(429, 'slow down', '3'),
      new WatchHttpError(429, 'slow down', '3'),
    );
    client.lastWatch.fail(new Error('connection reset'));
    await clock.advanceAsync(0);
    // The reset: backoff 37.5 ms, then the first 429.
    await clock.advanceAsync(38);
    expect(client.watches).toHaveLength(2);
    const first429 = client.lastWatch.at;
    expect(reflector.status.lastError).toBe('HTTP 429 on watch');

    // The backoff cap is 1 s, but the server asked for 3.
    await clock.advanceAsync(2999);
    expect(client.watches).toHaveLength(2);
    await clock.advanceAsync(1);
    expect(client.watches).toHaveLength(3);
    expect(client.lastWatch.at - first429).toBe(3000);
    await clock.advanceAsync(3000);
    expect(client.watches).toHaveLength(4);
    expect(client.lastWatch.stopped).toBe(false);
  });

  it('starts the backoff afresh after a healthy period, but not after a short one', async () => {
    const { clock, client } = await setup({
      backoff: { initialMs: 800, maxMs: 30_000, resetAfterMs: 60_000 },
    });
    // Three quick failures: the next delay would be 4800 ms (step 6400).
    client.watchErrors.push(serverError(), serverError());
    client.lastWatch.fail(new Error('connection reset'));
    await clock.advanceAsync(600 + 1200 + 2400);
    expect(client.watches).toHaveLength(4);
    expect(client.lastWatch.stopped).toBe(false);

    // That watch streams for 10 s (less than resetAfterMs) and breaks: the backoff goes on.
    await clock.advanceAsync(10_000);
    client.lastWatch.fail(new Error('connection reset'));
    await clock.advanceAsync(0);
    expect(clock.nextDueIn).toBe(4800);
    await clock.advanceAsync(4800);
    expect(client.watches).toHaveLength(5);

    // This one streams for a healthy minute, then breaks: back to the first step.
    await clock.advanceAsync(60_000);
    client.lastWatch.fail(new Error('connection reset'));
    await clock.advanceAsync(0);
    expect(clock.nextDueIn).toBe(600);
  });

  it('treats a watch that ends as soon as it starts as a failure, not a reason to spin', async () => {
    const { clock, client } = await setup();
    await clock.advanceAsync(999);
    client.lastWatch.end();
    await clock.advanceAsync(0);
    expect(client.watches).toHaveLength(1);
    expect(clock.nextDueIn).toBe(600);
    await clock.advanceAsync(600);
    expect(client.watches).toHaveLength(2);

    // A clean end after a second or more (but before resetAfterMs) resumes at once.
    await clock.advanceAsync(1000);
    client.lastWatch.end();
    await clock.advanceAsync(0);
    expect(client.watches).toHaveLength(3);
  });

  it('relists at once, without backoff, when the watch reports 410 Expired', async () => {
    const { clock, client, sink, reflector } = await setup();
    client.listResourceVersion = '500';
    client.lastWatch.emit('ERROR', { kind: 'Status', code: 410, message: 'too old resource version' });
    await clock.advanceAsync(0);
    expect(client.lists).toHaveLength(2);
    expect(client.lists[1].at).toBe(client.lists[0].at);
    expect(sink.calls).toEqual(['replace a @100', 'replace a @500']);
    expect(client.lastWatch.options.resourceVersion).toBe('500');
    expect(reflector.status.relists).toBe(1);
    // No backoff: the one timer is the new watch's liveness check, a full interval away.
    expect(clock.pending).toBe(1);
    expect(clock.nextDueIn).toBe(90_000);
  });

  it('stop() during a backoff ends the loop at once and leaves no timer behind', async () => {
    const { clock, client, reflector } = await setup({ backoff: { initialMs: 20_000, maxMs: 60_000 } });
    client.lastWatch.fail(new Error('connection reset'));
    await clock.advanceAsync(0);
    expect(clock.pending).toBe(1);
    await reflector.stop();
    expect(clock.pending).toBe(0);
    await clock.advanceAsync(120_000);
    expect(client.watches).toHaveLength(1);
    expect(reflector.status.connected).toBe(false);
  });
});

describe('Reflector liveness on a fake clock', () => {
  it('restarts a watch silent for the liveness interval through the backoff, and says stale with the age', async () => {
    const { clock, client, reflector, errors } = await setup({ livenessMs: 10_000 });
    const opened = clock.now();
    await clock.advanceAsync(9_999);
    expect(client.lastWatch.stopped).toBe(false);
    expect(reflector.status).toMatchObject({ connected: true, stale: false });

    await clock.advanceAsync(1);
    // Exactly at the interval: stopped, on record, stale since the watch opened.
    expect(client.lastWatch.stopped).toBe(true);
    expect(client.watches).toHaveLength(1);
    expect(errors).toHaveLength(1);
    expect(reflector.status).toMatchObject({
      connected: false,
      stale: true,
      staleForMs: 10_000,
      watchRestarts: 1,
      failures: 1,
      lastError: 'watch silent for 10 s (no event or bookmark)',
    });
    expect(reflector.status.lastErrorAt?.getTime()).toBe(opened + 10_000);

    // The normal backoff path (600 ms: random() is 0.5), resuming where it was; the age grows meanwhile.
    expect(clock.nextDueIn).toBe(600);
    await clock.advanceAsync(599);
    expect(reflector.status.staleForMs).toBe(10_599);
    await clock.advanceAsync(1);
    expect(client.watches).toHaveLength(2);
    expect(client.lastWatch.options.resourceVersion).toBe('100');
    expect(client.lists).toHaveLength(1);
    const status = reflector.status;
    expect(status).toMatchObject({ connected: true, stale: false });
    expect(status.staleForMs).toBeUndefined();
  });

  it('counts the silence from the last event or bookmark: each one moves the deadline', async () => {
    const { clock, client, reflector } = await setup({ livenessMs: 10_000 });
    await clock.advanceAsync(6_000);
    client.lastWatch.emit('ADDED', ns('b', '101') as Record<string, unknown>);
    await clock.advanceAsync(6_000);
    // 12 s since the watch opened, 6 s since the event: alive.
    expect(client.lastWatch.stopped).toBe(false);
    client.lastWatch.emit('BOOKMARK', { kind: 'Namespace', metadata: { resourceVersion: '300' } });
    await clock.advanceAsync(9_999);
    expect(client.lastWatch.stopped).toBe(false);
    expect(reflector.status.stale).toBe(false);
    // One timer per watch, not one per event.
    expect(clock.pending).toBe(1);
    await clock.advanceAsync(1);
    expect(client.lastWatch.stopped).toBe(true);
    expect(reflector.status).toMatchObject({ stale: true, staleForMs: 10_000 });
    await clock.advanceAsync(600);
    // Resumed from the bookmark's resourceVersion.
    expect(client.lastWatch.options.resourceVersion).toBe('300');
  });

  it('defaults to 90 s, and 0 turns it off', async () => {
    const { clock, client } = await setup();
    await clock.advanceAsync(89_999);
    expect(client.lastWatch.stopped).toBe(false);
    await clock.advanceAsync(1);
    expect(client.lastWatch.stopped).toBe(true);

    const off = await setup({ livenessMs: 0 });
    await off.clock.advanceAsync(3_600_000);
    expect(off.client.watches).toHaveLength(1);
    expect(off.client.lastWatch.stopped).toBe(false);
    expect(off.reflector.status.stale).toBe(false);
    expect(off.clock.pending).toBe(0);
  });

  it('is stale without a watch for longer than staleAfterDisconnectMs, aged from the last thing heard', async () => {
    const { clock, client, reflector } = await setup({ backoff: { initialMs: 40_000, maxMs: 60_000 } });
    await clock.advanceAsync(5_000);
    client.lastWatch.emit('BOOKMARK', { kind: 'Namespace', metadata: { resourceVersion: '200' } });
    await clock.advanceAsync(1_000);
    client.lastWatch.fail(new Error('connection reset'));
    await clock.advanceAsync(0);
    // A watch down for less than the threshold (a routine restart) is not stale.
    expect(reflector.status).toMatchObject({ connected: false, stale: false });
    await clock.advanceAsync(9_999);
    expect(reflector.status.stale).toBe(false);
    await clock.advanceAsync(1);
    // Down 10 s; last heard (the bookmark) 11 s ago.
    expect(reflector.status).toMatchObject({ stale: true, staleForMs: 11_000 });
    // The retry (30 s: 3/4 of 40 s) opens a watch: current again.
    await clock.advanceAsync(20_000);
    expect(client.watches).toHaveLength(2);
    expect(reflector.status).toMatchObject({ connected: true, stale: false });
  });
});
