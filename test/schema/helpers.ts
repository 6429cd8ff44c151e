/**
 * Shared by the schema tests: typed operations over the harness's HTTP endpoint, and
 * expected values computed from the simulator's own store (the source of truth the gateway
 * mirrors), so a test compares the gateway against the cluster, not against itself.
 */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { effectivePodRequests } from '../../src/kube/quantity.js';
import type { KubeObject } from '../../src/simulator/types.js';
import type { Harness } from '../helpers/harness.js';

/** An answer's JSON, whose shape the assertions check (typed documents are used where it pays). */
// biome-ignore lint/suspicious/noExplicitAny: a JSON answer, narrowed by the assertions that read it
export type Json = any;

/** Small enough to start fast, big enough that pages, filters and relations mean something. */
export const SCENARIO = { nodes: 6, pods: 60, jobs: 5, namespaces: 3, seed: 7 };

export type Result<T> = Awaited<ReturnType<Harness['query']>> & { data?: T };

export async function run<T, V>(
  h: Harness,
  doc: TypedDocumentNode<T, V>,
  variables?: V,
  headers?: Record<string, string>,
): Promise<Result<T>> {
  return (await h.query<T>(print(doc), variables as Record<string, unknown>, headers)) as Result<T>;
}

export function codes(r: { errors?: { extensions?: Record<string, unknown> }[] }): unknown[] {
  return (r.errors ?? []).map((e) => e.extensions?.code);
}

export const simObjects = (h: Harness, resource: 'pods' | 'nodes' | 'jobs' | 'namespaces') => [
  ...h.sim.store.scan(resource),
];

export const phaseOf = (pod: KubeObject): string => pod.status?.phase || 'Pending';
export const terminated = (pod: KubeObject) => phaseOf(pod) === 'Succeeded' || phaseOf(pod) === 'Failed';

/** What kubectl describe node shows: non-terminated pods on the node and their effective requests. */
export function expectedNodeUsage(h: Harness, node: string) {
  const pods = simObjects(h, 'pods').filter((p) => p.spec?.nodeName === node && !terminated(p));
  let cpuMillis = 0;
  let memoryBytes = 0;
  for (const p of pods) {
    // effectivePodRequests only reads spec, which is the same shape on the wire.
    const r = effectivePodRequests(p as never);
    cpuMillis += r.cpuMillis;
    memoryBytes += r.memoryBytes;
  }
  return { podCount: pods.length, cpuMillis, memoryBytes };
}

export function jobOwner(pod: KubeObject): string | undefined {
  return pod.metadata.ownerReferences?.find((o) => o.kind === 'Job' && o.controller)?.name;
}
