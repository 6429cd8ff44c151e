/**
 * `npx tsx bench/profile-top.ts FILE.cpuprofile [N]`: the top N (default 25) frames of a V8
 * CPU profile by self time, then self time by package (node_modules/<name>, node:
 * internals, our src/ folders), for the notes of a performance change. LAST_S=N keeps only the
 * samples of the profile's last N seconds (a gateway's steady phase, without its start and sync);
 * SKIP_LAST_S=N first drops the last N seconds (a bench's gateway profile ends with its shutdown);
 * FIRST_S=N keeps only the first N seconds (a gateway's start and sync); TIMELINE_S=N first prints,
 * for every N seconds kept, the share spent in the garbage collector, idle and running;
 * MATCH=REGEX lists the inclusive time of the frames matching it instead of our code's.
 * A `.heapprofile` (bench/wide-breakdown.ts HEAP_PROF=DIR) is read the same way, by bytes
 * allocated instead of time (the time filters do not apply to it).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, n = '25'] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: npx tsx bench/profile-top.ts FILE.cpuprofile [N]\n');
  process.exit(2);
}
/** A sampling heap profile (`.heapprofile`): each node's self size stands for its samples' time. */
interface HeapNode {
  id: number;
  callFrame: ProfileNode['callFrame'];
  selfSize: number;
  children: HeapNode[];
}
const heap = file.endsWith('.heapprofile');
const raw = JSON.parse(readFileSync(file, 'utf8'));
const profile: Profile = heap ? fromHeap((raw as { head: HeapNode }).head) : (raw as Profile);
function fromHeap(head: HeapNode): Profile {
  const out: Profile = { nodes: [], samples: [], timeDeltas: [] };
  const walk = (node: HeapNode) => {
    out.nodes.push({ id: node.id, callFrame: node.callFrame, children: node.children.map((c) => c.id) });
    if (node.selfSize > 0) {
      out.samples.push(node.id);
      out.timeDeltas.push(node.selfSize);
    }
    for (const c of node.children) walk(c);
  };
  walk(head);
  return out;
}
// A gateway the bench built (bench/lib/build.ts) runs from bench/.build/<pid>/: name its
// frames as the sources they were built from.
for (const node of profile.nodes)
  node.callFrame.url = node.callFrame.url.replace(/\/bench\/\.build\/\d+\/(.*)\.js$/, '/src/$1.ts');
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
if (process.env.SKIP_LAST_S) {
  let cut = 0;
  let end = profile.samples.length;
  while (end > 0 && cut < Number(process.env.SKIP_LAST_S) * 1e6) cut += profile.timeDeltas[--end];
  profile.samples = profile.samples.slice(0, end);
  profile.timeDeltas = profile.timeDeltas.slice(0, end);
}
if (process.env.FIRST_S) {
  let at = 0;
  let end = 0;
  while (end < profile.samples.length && at < Number(process.env.FIRST_S) * 1e6)
    at += profile.timeDeltas[end++];
  profile.samples = profile.samples.slice(0, end);
  profile.timeDeltas = profile.timeDeltas.slice(0, end);
}
if (process.env.LAST_S) {
  const span = profile.timeDeltas.reduce((a, b) => a + b, 0);
  let at = 0;
  let first = 0;
  while (first < profile.samples.length && span - at > Number(process.env.LAST_S) * 1e6)
    at += profile.timeDeltas[first++];
  profile.samples = profile.samples.slice(first);
  profile.timeDeltas = profile.timeDeltas.slice(first);
}
if (process.env.TIMELINE_S) {
  // The share of each TIMELINE_S seconds spent in the garbage collector, idle, and running
  // code: a full GC of a big mirror shows as seconds of GC in a row (issue #16's fleet).
  const step = Number(process.env.TIMELINE_S) * 1e6;
  const rows = new Map<number, { gc: number; idle: number; run: number }>();
  let at = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i];
    const name = byId.get(profile.samples[i])?.callFrame.functionName;
    const row = rows.get(Math.floor(at / step)) ?? { gc: 0, idle: 0, run: 0 };
    if (name === '(garbage collector)') row.gc += profile.timeDeltas[i];
    else if (name === '(idle)') row.idle += profile.timeDeltas[i];
    else row.run += profile.timeDeltas[i];
    rows.set(Math.floor(at / step), row);
  }
  const pct = (x: number, all: number) => `${Math.round((100 * x) / all)}%`.padStart(4);
  for (const [k, r] of rows) {
    const all = r.gc + r.idle + r.run || 1;
    console.log(
      `${String(k * Number(process.env.TIMELINE_S)).padStart(6)} s  gc ${pct(r.gc, all)}  idle ${pct(r.idle, all)}  running ${pct(r.run, all)}`,
    );
  }
}
const self = new Map<number, number>();
for (let i = 0; i < profile.samples.length; i++)
  self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
const total = [...self.values()].reduce((a, b) => a + b, 0);

function where(url: string): string {
  if (!url) return '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 13).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return 'node:internals';
  const src = url.match(/\/(src|bench)\/([^/]+)\//);
  return src ? `${src[1]}/${src[2]}` : url.replace(/^.*\//, '');
}

const frames = new Map<string, number>();
const packages = new Map<string, number>();
for (const [id, us] of self) {
  const { functionName, url, lineNumber, columnNumber } = byId.get(id)!.callFrame;
  const name = `${functionName || '(anonymous)'} ${url ? `${url.replace(/^.*node_modules\//, '').replace(/^.*\/(src|bench)\//, '$1/')}:${lineNumber + 1}:${columnNumber + 1}` : ''}`;
  frames.set(name, (frames.get(name) ?? 0) + us);
  packages.set(where(url), (packages.get(where(url)) ?? 0) + us);
}
// Inclusive: each sample counts once for every distinct function on its stack.
const parent = new Map<number, number>();
for (const node of profile.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
const nameOf = (id: number) => {
  const { functionName, url, lineNumber, columnNumber } = byId.get(id)!.callFrame;
  return `${functionName || '(anonymous)'} ${url ? `${url.replace(/^.*node_modules\//, '').replace(/^.*\/(src|bench)\//, '$1/')}:${lineNumber + 1}:${columnNumber + 1}` : ''}`;
};
const inclusive = new Map<string, number>();
for (let i = 0; i < profile.samples.length; i++) {
  const seen = new Set<string>();
  for (let id: number | undefined = profile.samples[i]; id !== undefined; id = parent.get(id))
    seen.add(nameOf(id));
  for (const name of seen) inclusive.set(name, (inclusive.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
process.stdout.write(`${file}: ${(total / 1000).toFixed(0)} ${heap ? 'KB allocated' : 'ms sampled'}\n`);
for (const [name, us] of [...frames].sort((a, b) => b[1] - a[1]).slice(0, Number(n)))
  process.stdout.write(`${pct(us)}  ${name}\n`);
// MATCH=REGEX lists the inclusive time of the frames it matches instead (e.g. a library's).
const match = process.env.MATCH ? new RegExp(process.env.MATCH) : undefined;
process.stdout.write(match ? `inclusive, frames matching ${match}:\n` : 'inclusive, our code (src/):\n');
for (const [name, us] of [...inclusive]
  .filter(([name]) => (match ? match.test(name) : name.includes(' src/')))
  .sort((a, b) => b[1] - a[1])
  .slice(0, Number(n)))
  process.stdout.write(`${pct(us)}  ${name}\n`);
process.stdout.write('by package:\n');
for (const [name, us] of [...packages].sort((a, b) => b[1] - a[1]).slice(0, 15))
  process.stdout.write(`${pct(us)}  ${name}\n`);
