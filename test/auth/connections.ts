/**
 * Relay connections as lists: every `{ edges: [{ node }] }` in an answer also gets
 * `nodes`, so assertions read `pods.nodes` (the schema has edges only, as Relay wants).
 */
// biome-ignore lint/suspicious/noExplicitAny: GraphQL answers are open-ended JSON
type Json = any;

export function withNodes(value: Json): Json {
  if (Array.isArray(value)) return value.map(withNodes);
  if (value === null || typeof value !== 'object') return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) out[k] = withNodes(v);
  if (Array.isArray(out.edges) && !('nodes' in out)) out.nodes = out.edges.map((e: Json) => e?.node);
  return out;
}
