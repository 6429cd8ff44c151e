/** Namespaces: `default`, `kube-system` and the teams' `<team>-<environment>` namespaces. */
import type { KubeObject } from '../types.js';
import { ENVIRONMENTS, TEAMS } from './catalog.js';
import { fieldsOf, managedEntry } from './managed-fields.js';
import { pick, type RandomFn, randomInt } from './random.js';

/**
 * Namespaces with skewed sizes (a few big teams, many small ones); a workload goes to a
 * namespace drawn by weight that still has room, and a new namespace is opened when none
 * has, so no namespace exceeds the cap.
 */
export class NamespacePool {
  readonly names: string[] = [];
  readonly teams: string[] = [];
  private readonly left: number[] = [];
  private readonly cumulative: number[] = [];
  private total = 0;
  private readonly combos: [string, string][];
  private next = 0;

  constructor(
    private readonly random: RandomFn,
    private readonly cap: number,
    generated: number,
  ) {
    this.combos = TEAMS.flatMap((t) => ENVIRONMENTS.map((e): [string, string] => [t, e]));
    for (let i = this.combos.length - 1; i > 0; i--) {
      const j = randomInt(random, i + 1);
      [this.combos[i], this.combos[j]] = [this.combos[j], this.combos[i]];
    }
    this.add('default', pick(random, TEAMS), 0.3);
    for (let i = 0; i < generated; i++) this.addGenerated();
  }

  private add(name: string, team: string, weight: number): number {
    this.names.push(name);
    this.teams.push(team);
    this.left.push(this.cap);
    this.total += weight;
    this.cumulative.push(this.total);
    return this.names.length - 1;
  }

  private addGenerated(): number {
    const [team, env] = this.combos[this.next % this.combos.length];
    const round = Math.floor(this.next / this.combos.length);
    this.next += 1;
    const name = round === 0 ? `${team}-${env}` : `${team}-${env}-${round + 1}`;
    const weight = 1 / (1 + this.names.length) ** 0.6;
    return this.add(name, team, weight);
  }

  /** A namespace index with room for `size` more pods (opening a namespace if needed). */
  place(size: number): number {
    const r = this.random() * this.total;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cumulative[mid] <= r) lo = mid + 1;
      else hi = mid;
    }
    for (let k = 0; k < this.names.length; k++) {
      const i = (lo + k) % this.names.length;
      if (this.left[i] >= size) {
        this.left[i] -= size;
        return i;
      }
    }
    const i = this.addGenerated();
    this.left[i] -= size;
    return i;
  }
}

export function namespaceObject(name: string, team: string | undefined, created: string): KubeObject {
  const labels: Record<string, string> = { 'kubernetes.io/metadata.name': name };
  if (team) {
    labels['acme.io/team'] = team;
    labels['acme.io/environment'] = name.split('-')[1] ?? 'prod';
    labels['pod-security.kubernetes.io/enforce'] = 'baseline';
  }
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      uid: undefined,
      creationTimestamp: created,
      labels,
      managedFields: [
        managedEntry(team ? 'kubectl-create' : 'kube-apiserver', created, {
          'f:metadata': fieldsOf({ labels }, false),
        }),
      ],
    },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}
