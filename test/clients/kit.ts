/**
 * Shared by the client-library tests: one harness gateway over a small simulator, what the
 * pod pages must hold (from the simulator's own store), and a net for what a client library
 * prints through console.warn/console.error (cache warnings are how Apollo and graphcache
 * say a type policy or key is missing).
 */
import { readFileSync } from 'node:fs';
import { buildSchema, getNamedType, isObjectType } from 'graphql';
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

/** The committed SDL (a test elsewhere keeps it equal to the Pothos schema). */
export const schema = buildSchema(
  readFileSync(new URL('../../schema/schema.graphql', import.meta.url), 'utf8'),
);

function objectTypes() {
  const roots = new Set(
    [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].map((t) => t?.name),
  );
  return Object.values(schema.getTypeMap()).filter(
    (t) => isObjectType(t) && !t.name.startsWith('__') && !roots.has(t.name),
  ) as import('graphql').GraphQLObjectType[];
}

/** Object types a normalising cache cannot key by `id` (nor `_id`), sorted. */
export function idLessTypes(): string[] {
  return objectTypes()
    .filter((t) => !('id' in t.getFields()) && !('_id' in t.getFields()))
    .map((t) => t.name)
    .sort();
}

/** Every connection field as `Type.field` (a field whose type is a *Connection), sorted. */
export function connectionFields(): string[] {
  return objectTypes()
    .flatMap((t) =>
      Object.values(t.getFields())
        .filter((f) => getNamedType(f.type).name.endsWith('Connection'))
        .map((f) => `${t.name}.${f.name}`),
    )
    .sort();
}

/** `{ Type: { field: ... } }` as `Type.field`, sorted. */
export function fieldsOf(
  config: Record<string, Record<string, unknown> | { fields: Record<string, unknown> }>,
) {
  return Object.entries(config)
    .flatMap(([type, v]) => Object.keys('fields' in v ? (v.fields as object) : v).map((f) => `${type}.${f}`))
    .sort();
}
