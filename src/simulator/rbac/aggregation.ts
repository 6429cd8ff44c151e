/**
 * The clusterrole-aggregation controller (pkg/controller/clusterroleaggregation): a
 * ClusterRole with an aggregationRule gets as `rules` the union of the rules of every other
 * ClusterRole its selectors match (in name order, each rule once), rewritten whenever a
 * ClusterRole changes. The authoriser reads only `rules`, so until the controller has run an
 * aggregated role grants what its `rules` held before, as on a real cluster.
 *
 * Changes are synced on a microtask after the write that caused them (never inside the
 * store's listener, where a write would reach watchers out of order), before the next
 * request is read; `syncNow()` runs a sync to the fixed point at once (at start).
 */
import { fromLabelSelector, type LabelSelector, matchesLabels, type Requirement } from '../label-selector.js';
import type { SimStore } from '../store.js';
import type { KubeObject } from '../types.js';
import type { PolicyRule } from './types.js';

/** A rule as equality.Semantic compares it: empty lists and absent ones are the same. */
function normalized(rule: PolicyRule): string {
  const field = (v: string[] | undefined) => (v?.length ? v : undefined);
  return JSON.stringify([
    field(rule.verbs),
    field(rule.apiGroups),
    field(rule.resources),
    field(rule.resourceNames),
    field(rule.nonResourceURLs),
  ]);
}

function sameRules(a: PolicyRule[], b: PolicyRule[]): boolean {
  return a.length === b.length && a.every((rule, i) => normalized(rule) === normalized(b[i]));
}

function selectorsOf(role: KubeObject): Requirement[][] | undefined {
  const rule = role.aggregationRule as { clusterRoleSelectors?: LabelSelector[] } | null | undefined;
  if (!rule) return undefined;
  try {
    return (rule.clusterRoleSelectors ?? []).map((s) => fromLabelSelector(s ?? {}));
  } catch {
    return undefined; // the real controller fails this role's sync and retries; nothing changes
  }
}

export class AggregationController {
  private scheduled = false;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly store: SimStore) {}

  start(): void {
    this.syncNow();
    this.unsubscribe ??= this.store.subscribe('clusterroles', () => this.schedule());
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** Syncs every aggregated ClusterRole until none changes (aggregated roles may aggregate each other). */
  syncNow(): void {
    for (let round = 0; round < 20; round++) {
      let changed = false;
      for (const role of [...this.store.scan('clusterroles')]) {
        if (this.sync(role)) changed = true;
      }
      if (!changed) return;
    }
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.syncNow();
    });
  }

  /** syncClusterRole; true when it rewrote the role's rules. */
  private sync(role: KubeObject): boolean {
    const selectors = selectorsOf(role);
    if (!selectors) return false;
    const rules: PolicyRule[] = [];
    const seen = new Set<string>();
    for (const selector of selectors) {
      // The lister's matches, sorted by name (scan is in key order, which for ClusterRoles is the name).
      for (const other of this.store.scan('clusterroles')) {
        if (other.metadata.name === role.metadata.name) continue;
        if (!matchesLabels(selector, other.metadata.labels)) continue;
        for (const rule of (Array.isArray(other.rules) ? other.rules : []) as PolicyRule[]) {
          const key = normalized(rule);
          if (seen.has(key)) continue;
          seen.add(key);
          rules.push(rule);
        }
      }
    }
    const current = (Array.isArray(role.rules) ? role.rules : []) as PolicyRule[];
    if (sameRules(rules, current)) return false;
    this.store.mutate('clusterroles', undefined, role.metadata.name, (draft) => {
      draft.rules = structuredClone(rules);
      return draft;
    });
    return true;
  }
}
