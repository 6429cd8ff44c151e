/** The teams' apps: Deployments and StatefulSets, sized like real ones, for the pods left. */
import { COMPONENTS, STATEFUL_KINDS, TEAMS } from './catalog.js';
import { deployment } from './deployments.js';
import type { NamespacePool } from './namespaces.js';
import type { BuildContext } from './pods.js';
import { pick, randomInt, randomSuffix } from './random.js';
import { statefulSet } from './stateful-sets.js';

/**
 * Apps for `count` more pods: mostly Deployments of one to three replicas and a few large
 * ones, about one StatefulSet in eight; each in a namespace of `pool` with room for it
 * (no app is larger than `cap`), named after the namespace's team or, now and then, another.
 */
export function buildWorkloads(ctx: BuildContext, pool: NamespacePool, count: number, cap: number): void {
  const { random } = ctx;
  let left = count;
  const appNames = new Set<string>();
  while (left > 0) {
    const stateful = random() < 0.12;
    const r = random();
    let size = stateful
      ? 1 + randomInt(random, 5)
      : r < 0.45
        ? 1
        : r < 0.65
          ? 2
          : r < 0.8
            ? 3
            : r < 0.9
              ? 4 + randomInt(random, 3)
              : r < 0.97
                ? 7 + randomInt(random, 14)
                : 21 + randomInt(random, 80);
    size = Math.min(size, left, cap);
    const index = pool.place(size);
    const namespace = pool.names[index];
    const team = pool.teams[index];
    let name: string;
    do {
      name = stateful
        ? `${team}-${pick(random, STATEFUL_KINDS).name}`
        : `${pick(random, [team, team, pick(random, TEAMS)])}-${pick(random, COMPONENTS)}`;
      if (appNames.has(`${namespace}/${name}`)) name = `${name}-${randomSuffix(random, 3)}`;
    } while (appNames.has(`${namespace}/${name}`));
    appNames.add(`${namespace}/${name}`);
    if (stateful) statefulSet(ctx, namespace, team, name, size);
    else deployment(ctx, namespace, team, name, size);
    left -= size;
  }
}
