/**
 * The README's reconnect loops (resume-clients.ts, quoted verbatim by the README: checked
 * here) against real gateways on one simulator, as replicas behind a Service: the client
 * follows the pods through the first replica shutting down (SHUTTING_DOWN, then complete:
 * it resumes on the second with sinceResourceVersion, no snapshot again) and through a
 * replica started after its last event (RESUME_EXPIRED: it refetches with initial: true),
 * and its view ends equal to the simulator's pods.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { podPhase } from '../../src/kube/rules.js';
import { Churn } from '../../src/simulator/churn.js';
import { type Harness, startHarness } from '../helpers/harness.js';
import { sleep, waitFor } from '../helpers/wait.js';
import { barePod, ensureNamespace, keyOf } from './clients.js';
import { followPodsOverSse, followPodsOverWebSocket, type PodEvent, type PodView } from './resume-clients.js';

const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0).reverse()) await h.close();
}, 30_000);

class RecordingView implements PodView {
  readonly pods = new Map<string, string>();
  readonly changes: PodEvent[] = [];
  resets = 0;
  reset(): void {
    this.resets += 1;
    this.pods.clear();
  }
  apply(event: PodEvent): void {
    if (!event.snapshot) this.changes.push(event);
    const key = `${event.object.namespace}/${event.object.name}`;
    if (event.type === 'DELETED') this.pods.delete(key);
    else this.pods.set(key, event.object.phase);
  }
}

const lines = (m: Map<string, string>) => [...m].map(([k, phase]) => `${k} ${phase}`).sort();

describe('the README reconnect loops', () => {
  it('are what the README shows', () => {
    const readme = readFileSync('README.md', 'utf8');
    const source = readFileSync('test/subscriptions/resume-clients.ts', 'utf8');
    for (const part of ['common', 'sse', 'ws']) {
      const start = source.indexOf(`// readme:start ${part}\n`);
      const end = source.indexOf(`// readme:end ${part}\n`);
      expect(start, part).toBeGreaterThanOrEqual(0);
      const snippet = source.slice(source.indexOf('\n', start) + 1, end).trim();
      expect(readme, `README.md quotes the "${part}" part of test/subscriptions/resume-clients.ts`).toContain(
        `\`\`\`ts\n${snippet}\n\`\`\``,
      );
    }
  });

  for (const [transport, follow] of [
    ['sse', followPodsOverSse],
    ['ws', followPodsOverWebSocket],
  ] as const) {
    it(`follow the pods across a replica shutting down and a replica that started later (${transport})`, async () => {
      const first = await startHarness({
        simulator: { scenario: { nodes: 2, pods: 30, jobs: 1, namespaces: 2 } },
      });
      harnesses.push(first);
      const sim = first.sim;
      sim.pauseActivity();
      const second = await startHarness({ existingSimulator: sim });
      harnesses.push(second);
      // What the page selected of each pod (its phase), as the simulator has it.
      const simPods = () =>
        new Map([...sim.store.scan('pods')].map((p) => [keyOf(p), podPhase(p as never).toUpperCase()]));
      const converged = (view: RecordingView, what: string) =>
        waitFor(() => lines(view.pods).join() === lines(simPods()).join(), {
          message: what,
          observe: () => {
            const want = lines(simPods());
            const have = lines(view.pods);
            return {
              missing: want.filter((l) => !have.includes(l)),
              extra: have.filter((l) => !want.includes(l)),
              resets: view.resets,
              last: view.changes.slice(-3),
            };
          },
        });

      let target = first.url; // the Service: whichever replica answers
      const view = new RecordingView();
      const abort = new AbortController();
      const following = follow({
        url: () => (transport === 'ws' ? target.replace(/^http/, 'ws') : target),
        cluster: 'sim',
        view,
        signal: abort.signal,
        retryDelayMs: 20,
      });
      let failed: unknown;
      following.catch((err) => {
        failed = err;
      });
      try {
        await converged(view, 'the snapshot');

        // Changes go on while the first replica shuts down and the client moves to the second.
        const churn = new Churn(sim.store, { ratePerSecond: 0, seed: 3 });
        let running = true;
        const driver = (async () => {
          while (running) {
            churn.tick(3);
            await sleep(5);
          }
        })();
        try {
          await waitFor(() => view.changes.length >= 20, 'live changes on the first replica');
          target = second.url;
          await first.gateway.shutdown({ delayMs: 0, timeoutMs: 5_000 });
          const moved = view.changes.length;
          await waitFor(() => view.changes.length >= moved + 20, 'live changes on the second replica');
        } finally {
          running = false;
          await driver;
          churn.stop();
        }
        const ns = sim.store.scan('pods').next().value!.metadata.namespace!;
        sim.store.create('pods', barePod(ns, `resume-clients-${transport}-1`));
        await converged(view, 'the view to follow the changes across the shutdown');
        expect(view.resets).toBe(1); // resumed, not refetched
        const seen = view.changes.map((e) => `${e.object.namespace}/${e.object.name}@${e.resourceVersion}`);
        expect(new Set(seen).size).toBe(seen.length);

        // A replica that started after the client's last change cannot resume it: refetch.
        ensureNamespace(first, `resume-clients-${transport}`); // the cluster moves on, no pod does
        const third = await startHarness({ existingSimulator: sim });
        harnesses.push(third);
        target = third.url;
        await second.gateway.shutdown({ delayMs: 0, timeoutMs: 5_000 });
        await waitFor(() => view.resets === 2, 'RESUME_EXPIRED, then initial: true');
        sim.store.create('pods', barePod(ns, `resume-clients-${transport}-2`));
        await converged(view, 'the view after the refetch');
        expect(failed).toBeUndefined();
      } finally {
        abort.abort();
        await following.catch(() => undefined);
      }
    }, 60_000);
  }
});
