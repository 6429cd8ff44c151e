/**
 * What the deployment tests share: the kustomizations rendered by the real kubectl, the
 * RBAC they grant the gateway's service account as (group, resource, verb) triples, the
 * production dependency tree from the lockfile, and the Dockerfile's stages.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { UpstreamCall } from '../../src/kube/upstream-calls.js';
import { KUBECTL } from '../simulator/kubectl-runner.js';

export const ROOT = join(import.meta.dirname, '../..');

// biome-ignore lint/suspicious/noExplicitAny: manifests are open-ended YAML
export type Manifest = any;

/** `kubectl kustomize DIR` (the real kubectl, its built-in kustomize), parsed. */
export function render(dir: string): Promise<Manifest[]> {
  return new Promise((resolve, reject) => {
    execFile(
      KUBECTL,
      ['kustomize', join(ROOT, dir)],
      { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
          reject(new Error(`kubectl was not found (looked for "${KUBECTL}"): install it or set KUBECTL`));
        } else if (err) {
          reject(
            new Error(`kubectl kustomize ${dir} failed (kustomize v5, kubectl 1.27+, is needed): ${stderr}`),
          );
        } else {
          resolve(parseAllDocuments(stdout).map((d) => d.toJS()));
        }
      },
    );
  });
}

export function only(manifests: Manifest[], kind: string, name?: string): Manifest {
  const found = manifests.filter((m) => m.kind === kind && (name === undefined || m.metadata.name === name));
  if (found.length !== 1) {
    throw new Error(`expected one ${kind}${name ? ` "${name}"` : ''}, found ${found.length}`);
  }
  return found[0];
}

/** One permission as RBAC names it; `group/resource verb`, '' for the core group. */
export const triple = (group: string, resource: string, verb: string) => `${group}/${resource} ${verb}`;

export const tripleOf = (call: UpstreamCall) => triple(call.group, call.resource, call.verb);

/**
 * What the rendered roles grant `serviceAccount` (namespace/name): every rule of every
 * ClusterRole a ClusterRoleBinding binds it to, as triples. A wildcard, a resourceName or a
 * non-resource URL cannot be compared with the gateway's calls: each is reported as it is
 * (prefixed `!`), so it shows in the diff and fails the comparison.
 */
export function grantedTo(
  manifests: Manifest[],
  serviceAccount: { namespace: string; name: string },
): string[] {
  const roles = new Map<string, Manifest>(
    manifests.filter((m) => m.kind === 'ClusterRole').map((m) => [m.metadata.name, m]),
  );
  const out = new Set<string>();
  for (const binding of manifests.filter((m) => m.kind === 'RoleBinding' || m.kind === 'Role')) {
    out.add(`! namespaced ${binding.kind} ${binding.metadata.name}: the gateway's rights are cluster-wide`);
  }
  for (const binding of manifests.filter((m) => m.kind === 'ClusterRoleBinding')) {
    const bound = (binding.subjects ?? []).some(
      (s: Manifest) =>
        s.kind === 'ServiceAccount' &&
        s.name === serviceAccount.name &&
        s.namespace === serviceAccount.namespace,
    );
    if (!bound) continue;
    const role = roles.get(binding.roleRef.name);
    if (binding.roleRef.kind !== 'ClusterRole' || !role) {
      out.add(
        `! ${binding.metadata.name} binds ${binding.roleRef.kind} ${binding.roleRef.name}, not rendered`,
      );
      continue;
    }
    for (const rule of role.rules ?? []) {
      if (rule.nonResourceURLs || rule.resourceNames)
        out.add(`! ${role.metadata.name}: ${JSON.stringify(rule)}`);
      for (const group of rule.apiGroups ?? [])
        for (const resource of rule.resources ?? [])
          for (const verb of rule.verbs ?? []) {
            if (group === '*' || resource === '*' || verb === '*')
              out.add(`! ${role.metadata.name}: wildcard ${triple(group, resource, verb)}`);
            else out.add(triple(group, resource, verb));
          }
    }
  }
  return [...out].sort();
}

/** `+` what `actual` has beyond `expected`, `-` what it lacks; empty when equal. */
export function setDiff(expected: Iterable<string>, actual: Iterable<string>): string[] {
  const want = new Set(expected);
  const have = new Set(actual);
  return [
    ...[...want].filter((t) => !have.has(t)).map((t) => `- missing: ${t}`),
    ...[...have].filter((t) => !want.has(t)).map((t) => `+ extra:   ${t}`),
  ].sort();
}

interface LockEntry {
  dev?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

export interface Lockfile {
  packages: Record<string, LockEntry>;
}

export function readLockfile(): Lockfile {
  return JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
}

/**
 * The packages `npm ci --omit=dev` installs, as lockfile paths (`node_modules/a`,
 * `node_modules/a/node_modules/b`): everything reachable from package.json's dependencies,
 * each name resolved as Node resolves it (the nearest node_modules up the tree).
 */
export function productionTree(lock: Lockfile): Set<string> {
  const { packages } = lock;
  const resolve = (from: string, name: string): string | undefined => {
    let base = from;
    for (;;) {
      const path = `${base ? `${base}/` : ''}node_modules/${name}`;
      if (packages[path]) return path;
      if (!base) return undefined;
      const i = base.lastIndexOf('/node_modules/');
      base = i < 0 ? '' : base.slice(0, i);
    }
  };
  const depsOf = (entry: LockEntry) =>
    Object.keys({ ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies });
  const tree = new Set<string>();
  const root = packages[''];
  const queue = Object.keys({ ...root.dependencies, ...root.optionalDependencies }).map((n) =>
    resolve('', n),
  );
  while (queue.length) {
    const path = queue.pop();
    if (!path || tree.has(path)) continue;
    tree.add(path);
    // A peer the tree does not hold is optional (npm would have failed otherwise).
    for (const name of depsOf(packages[path])) queue.push(resolve(path, name));
  }
  return tree;
}

/** The package name of a lockfile path (`node_modules/a/node_modules/@s/b` → `@s/b`). */
export const packageName = (path: string) =>
  path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);

export interface Instruction {
  keyword: string;
  /** The arguments as written (continuations joined). */
  args: string;
  /** `--from=x` style flags of COPY/ADD/RUN. */
  flags: Record<string, string>;
}

export interface Stage {
  image: string;
  name?: string;
  instructions: Instruction[];
}

/**
 * The Dockerfile's stages: each FROM starts one (`FROM image [AS name]`); lines continued
 * with a backslash are joined, comments and blank lines dropped.
 */
export function dockerfileStages(text: string): Stage[] {
  const lines: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!pending && (line === '' || line.startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    lines.push(pending + line);
    pending = '';
  }
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, keyword, rest] = line.match(/^(\S+)\s*(.*)$/)!;
    const upper = keyword.toUpperCase();
    const flags: Record<string, string> = {};
    let args = rest;
    for (let m = args.match(/^--([\w-]+)=(\S+)\s*/); m; m = args.match(/^--([\w-]+)=(\S+)\s*/)) {
      flags[m[1]] = m[2];
      args = args.slice(m[0].length);
    }
    if (upper === 'FROM') {
      const [image, as, name] = args.split(/\s+/);
      stages.push({ image, ...(as?.toUpperCase() === 'AS' ? { name } : {}), instructions: [] });
      continue;
    }
    if (!stages.length) {
      if (upper === 'ARG') continue;
      throw new Error(`Dockerfile: ${upper} before the first FROM`);
    }
    stages.at(-1)!.instructions.push({ keyword: upper, args, flags });
  }
  return stages;
}
