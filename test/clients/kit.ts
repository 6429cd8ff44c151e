/**
 * Shared by the client-library tests: one harness gateway over a small simulator, what the
 * pod pages must hold (from the simulator's own store), and a net for what a client library
 * prints through console.warn/console.error (cache warnings are how Apollo and graphcache
 * say a type policy or key is missing).
 */
import { afterEach, beforeEach, vi } from 'vitest';
import { type Harness, startHarness } from '../helpers/harness.js';
import { SCENARIO, simObjects } from '../schema/helpers.js';

export { SCENARIO };

export function startClientHarness(): Promise<Harness> {
  return startHarness({ simulator: { scenario: SCENARIO } });
}

/** The cluster's pods as `namespace/name`, in the gateway's NAME order (name, then uid). */
export function podsByName(h: Harness): string[] {
  return simObjects(h, 'pods')
    .map((p) => ({
      key: `${p.metadata.namespace}/${p.metadata.name}`,
      name: p.metadata.name!,
      uid: p.metadata.uid!,
    }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0))
    .map((p) => p.key);
}

/** Every console.warn and console.error of the test, as text; the test asserts it is empty. */
export function captureWarnings(): string[] {
  const seen: string[] = [];
  beforeEach(() => {
    seen.length = 0;
    for (const method of ['warn', 'error'] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        seen.push(`console.${method}: ${args.map(String).join(' ')}`);
      });
    }
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  return seen;
}
