/**
 * Where a heap's bytes are, from a V8 heap snapshot: self sizes summed by node type and
 * name, by the property names of plain objects (their shape), and strings by the property
 * that holds them (the first object edge pointing at each string). Made to find what a
 * mirrored pod or event costs beyond its trimmed object (store keys, index buckets, Map
 * tables, repeated strings). Take the snapshot from a running gateway with
 * `node --heapsnapshot-signal=SIGUSR2 ...` then `kill -USR2 PID` (V8 runs a full GC first):
 *
 *   npx tsx scripts/heap-census.ts Heap.*.heapsnapshot [rows]
 */
import { readFileSync } from 'node:fs';
import { type HeapSnapshot, snapshotLayout } from '../bench/lib/heap-paths.js';

const file = process.argv[2];
if (!file) throw new Error('usage: heap-census.ts SNAPSHOT [rows]');
const rows = Number(process.argv[3] ?? 30);
const s = JSON.parse(readFileSync(file, 'utf8')) as HeapSnapshot;
const layout = snapshotLayout(s);
const { width: NF, edgeWidth: EF, nodeTypes, edgeTypes } = layout;
const { typeAt: nType, nameAt: nName, sizeAt: nSize, edgeCountAt: nEdges } = layout;
const { edgeTypeAt: eType, edgeNameAt: eName, toAt: eTo } = layout;
const PROPERTY = edgeTypes.indexOf('property');
const ELEMENT = edgeTypes.indexOf('element');
const INTERNAL = edgeTypes.indexOf('internal');
const isString = new Set(['string', 'concatenated string', 'sliced string'].map((t) => nodeTypes.indexOf(t)));
const OBJECT = nodeTypes.indexOf('object');

const count = s.nodes.length / NF;
const byTypeName = new Map<string, [number, number]>();
const byShape = new Map<string, [number, number]>();
const stringHolder = new Map<string, [number, number]>();
const seenString = new Uint8Array(count);
let total = 0;
const add = (m: Map<string, [number, number]>, k: string, size: number) => {
  const e = m.get(k);
  if (e) {
    e[0] += 1;
    e[1] += size;
  } else m.set(k, [1, size]);
};

let edge = 0;
for (let i = 0; i < count; i++) {
  const base = i * NF;
  const type = s.nodes[base + nType];
  const size = s.nodes[base + nSize];
  total += size;
  const name = s.strings[s.nodes[base + nName]];
  const edges = s.nodes[base + nEdges];
  add(
    byTypeName,
    `${nodeTypes[type]} / ${type === OBJECT || nodeTypes[type] === 'hidden' || nodeTypes[type] === 'array' || nodeTypes[type] === 'code' || nodeTypes[type] === 'object shape' ? name : ''}`,
    size,
  );
  const props: string[] = [];
  for (let e = 0; e < edges; e++) {
    const at = (edge + e) * EF;
    const et = s.edges[at + eType];
    const to = s.edges[at + eTo] / NF;
    const toType = s.nodes[to * NF + nType];
    if (type === OBJECT && et === PROPERTY) props.push(s.strings[s.edges[at + eName]]);
    if (isString.has(toType) && !seenString[to] && (et === PROPERTY || et === ELEMENT || et === INTERNAL)) {
      seenString[to] = 1;
      const holder =
        et === PROPERTY
          ? `${name}.${s.strings[s.edges[at + eName]]}`
          : et === ELEMENT
            ? `${name}[]`
            : `${name} (${s.strings[s.edges[at + eName]]})`;
      add(stringHolder, holder, s.nodes[to * NF + nSize]);
    }
  }
  if (type === OBJECT && name === 'Object')
    add(byShape, `{${props.filter((p) => p !== '__proto__').join(',')}}`, size);
  edge += edges;
}

const mb = (n: number) => (n / 1e6).toFixed(2);
function print(title: string, m: Map<string, [number, number]>) {
  console.log(`\n## ${title}\n\n| count | MB | B each | what |\n|--:|--:|--:|---|`);
  for (const [k, [n, size]] of [...m].sort((a, b) => b[1][1] - a[1][1]).slice(0, rows))
    console.log(`| ${n.toLocaleString('en')} | ${mb(size)} | ${Math.round(size / n)} | ${k.slice(0, 140)} |`);
}
console.log(`${count.toLocaleString('en')} nodes, ${mb(total)} MB of self sizes`);
print('by type / name', byTypeName);
print('plain objects by their properties', byShape);
print('strings by the first object and property holding them', stringHolder);
