/**
 * Where a heap snapshot's bytes hang, by retaining path: every object's shortest path from the
 * GC roots (breadth first, weak edges left out), cut at its nearest ancestor that is an
 * instance of one of `anchors` (e.g. ResultStream, WebSocket) and named by that anchor and the
 * `depth` edges below it. Summed over a snapshot with N live subscribers and divided by N, it
 * says what each one keeps and through which reference, e.g. `ResultStream property.source
 * property.next internal.context context.ctx property.write`: how the context's writes were
 * found to stay alive with every subscription (bench/subscriber-memory.ts, `PATHS=...`).
 * Objects with no anchor on their path are left out (the gateway's own, shared structures).
 */
/** A V8 heap snapshot as JSON.parse reads it (what these tools use of it). */
export interface HeapSnapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[]];
      edge_fields: string[];
      edge_types: [string[]];
    };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/** Where a snapshot keeps each field: the widths of its node and edge records and the offsets in them. */
export function snapshotLayout(snapshot: HeapSnapshot) {
  const { meta } = snapshot.snapshot;
  return {
    width: meta.node_fields.length,
    edgeWidth: meta.edge_fields.length,
    nodeTypes: meta.node_types[0],
    edgeTypes: meta.edge_types[0],
    typeAt: meta.node_fields.indexOf('type'),
    nameAt: meta.node_fields.indexOf('name'),
    sizeAt: meta.node_fields.indexOf('self_size'),
    edgeCountAt: meta.node_fields.indexOf('edge_count'),
    edgeTypeAt: meta.edge_fields.indexOf('type'),
    edgeNameAt: meta.edge_fields.indexOf('name_or_index'),
    toAt: meta.edge_fields.indexOf('to_node'),
  };
}

export function bytesByRetainingPath(
  snapshot: HeapSnapshot,
  anchors: ReadonlySet<string>,
  depth: number,
): Map<string, { count: number; bytes: number }> {
  const {
    width,
    edgeWidth,
    nodeTypes,
    edgeTypes,
    nameAt,
    sizeAt,
    edgeCountAt,
    edgeTypeAt,
    edgeNameAt,
    toAt,
  } = snapshotLayout(snapshot);
  const { nodes, edges, strings } = snapshot;
  const count = nodes.length / width;
  const firstEdge = new Uint32Array(count + 1);
  for (let i = 0, e = 0; i < count; i++) {
    firstEdge[i] = e;
    e += nodes[i * width + edgeCountAt] * edgeWidth;
    firstEdge[i + 1] = e;
  }
  // Shortest retaining paths from the roots (node 0), breadth first.
  const parent = new Int32Array(count).fill(-1);
  const parentEdge = new Int32Array(count).fill(-1);
  parent[0] = 0;
  const queue = new Int32Array(count);
  let tail = 0;
  queue[tail++] = 0;
  for (let head = 0; head < tail; head++) {
    const i = queue[head];
    for (let e = firstEdge[i]; e < firstEdge[i + 1]; e += edgeWidth) {
      const type = edgeTypes[edges[e + edgeTypeAt]];
      if (type === 'weak' || type === 'shortcut') continue;
      const to = edges[e + toAt] / width;
      if (parent[to] !== -1) continue;
      parent[to] = i;
      parentEdge[to] = e;
      queue[tail++] = to;
    }
  }
  const isAnchor = (i: number) =>
    nodeTypes[nodes[i * width]] === 'object' && anchors.has(strings[nodes[i * width + nameAt]]);
  const edgeName = (e: number) => {
    const type = edgeTypes[edges[e + edgeTypeAt]];
    return type === 'element' || type === 'hidden'
      ? `${type}[]`
      : `${type}.${strings[edges[e + edgeNameAt]]}`;
  };
  const sums = new Map<string, { count: number; bytes: number }>();
  for (let i = 1; i < count; i++) {
    if (parent[i] === -1) continue;
    const below: string[] = [];
    let at = i;
    while (at !== 0 && !isAnchor(at)) {
      below.push(edgeName(parentEdge[at]));
      at = parent[at];
    }
    if (at === 0) continue;
    const key = [strings[nodes[at * width + nameAt]], ...below.slice(-depth).reverse()].join(' ');
    const sum = sums.get(key) ?? { count: 0, bytes: 0 };
    sum.count++;
    sum.bytes += nodes[i * width + sizeAt];
    sums.set(key, sum);
  }
  return sums;
}
