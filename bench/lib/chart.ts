/**
 * `latency.svg`: a hand-written horizontal bar chart, p50 (solid) and p99 (pale, behind)
 * per system, operation and size, on a log scale because the systems are orders of
 * magnitude apart. Plain SVG 1.1: no fonts, scripts or network needed to view it.
 */
import type { SystemId } from './config.js';
import type { CellResult } from './load.js';
import type { BenchResults } from './results.js';

const COLORS: Record<SystemId, [string, string]> = {
  A: ['#6b7280', '#d1d5db'],
  B: ['#15803d', '#bbf7d0'],
  C: ['#c2410c', '#fed7aa'],
  D: ['#b91c1c', '#fecaca'],
  R: ['#1d4ed8', '#bfdbfe'],
};
const NAMES: Record<SystemId, string> = {
  A: 'A yoga { hello } (ceiling)',
  B: 'B kubegate, cached',
  C: 'C kubegate --no-cache',
  D: 'D kubectl process',
  R: 'R kubegate as RBAC users',
};

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

interface Row {
  label: string;
  system: SystemId;
  cell?: CellResult | null;
}

export function latencySvg(results: Pick<BenchResults, 'sizes' | 'mode' | 'startedAt'>): string {
  const groups: { title: string; rows: Row[] }[] = [];
  for (const s of results.sizes) {
    const rows: Row[] = [{ label: '{ hello }', system: 'A', cell: s.ceiling }];
    for (const id of ['Q1', 'Q2', 'Q3', 'Q4', 'Q5'] as const) {
      for (const system of ['B', 'C', 'D'] as const) {
        const cell = s.cells[system]?.[id];
        if (cell) rows.push({ label: `${id} ${system}`, system, cell });
        if (system !== 'B') continue;
        // R beside B: one row per RBAC user, named by the namespaces it is bound in.
        for (const v of s.rbac?.variants ?? [])
          if (v.cells[id]) rows.push({ label: `${id} R${v.namespaces}`, system: 'R', cell: v.cells[id] });
      }
    }
    groups.push({
      title: `size ${s.size.name}: ${s.size.nodes.toLocaleString('en')} nodes, ${s.size.pods.toLocaleString('en')} pods`,
      rows,
    });
  }
  const values = groups.flatMap((g) =>
    g.rows
      .flatMap((r) => (r.cell?.ok ? [r.cell.p50Ms, r.cell.p99Ms] : []))
      .filter((x) => x > 0 && Number.isFinite(x)),
  );
  const minExp = Math.floor(Math.log10(Math.min(...values, 1)));
  const maxExp = Math.max(minExp + 1, Math.ceil(Math.log10(Math.max(...values, 10))));
  const left = 90;
  const plot = 640;
  const rowH = 14;
  const top = 84;
  const x = (ms: number) =>
    left + ((Math.log10(Math.max(ms, 10 ** minExp)) - minExp) / (maxExp - minExp)) * plot;

  const parts: string[] = [];
  let y = top;
  for (const g of groups) {
    y += 6;
    parts.push(`<text x="8" y="${y + 10}" font-weight="bold">${esc(g.title)}</text>`);
    y += 18;
    for (const r of g.rows) {
      const [dark, pale] = COLORS[r.system];
      parts.push(`<text x="8" y="${y + 10}">${esc(r.label)}</text>`);
      if (r.cell?.ok && Number.isFinite(r.cell.p50Ms)) {
        parts.push(
          `<rect x="${left}" y="${y + 1}" width="${(x(r.cell.p99Ms) - left).toFixed(1)}" height="${rowH - 3}" fill="${pale}"/>`,
          `<rect x="${left}" y="${y + 1}" width="${(x(r.cell.p50Ms) - left).toFixed(1)}" height="${rowH - 3}" fill="${dark}"/>`,
          `<text x="${(x(r.cell.p99Ms) + 4).toFixed(1)}" y="${y + 10}" fill="#374151">${pair(r.cell.p50Ms, r.cell.p99Ms)}</text>`,
        );
      } else {
        parts.push(
          `<text x="${left + 4}" y="${y + 10}" fill="#b91c1c">failed: ${esc((r.cell?.error ?? 'no figure').slice(0, 80))}</text>`,
        );
      }
      y += rowH;
    }
  }
  const height = y + 30;
  const width = left + plot + 170;
  const axis: string[] = [];
  for (let e = minExp; e <= maxExp; e++) {
    const gx = x(10 ** e).toFixed(1);
    axis.push(
      `<line x1="${gx}" y1="${top}" x2="${gx}" y2="${y}" stroke="#e5e7eb"/>`,
      `<text x="${gx}" y="${top - 4}" text-anchor="middle" fill="#6b7280">${tick(e)}</text>`,
      `<text x="${gx}" y="${y + 14}" text-anchor="middle" fill="#6b7280">${tick(e)}</text>`,
    );
  }
  const legend = (['A', 'B', 'C', 'D', 'R'] as SystemId[]).map(
    (s, i) =>
      `<rect x="${8 + i * 176}" y="30" width="12" height="10" fill="${COLORS[s][0]}"/><text x="${24 + i * 176}" y="39">${esc(NAMES[s])}</text>`,
  );
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="8" y="18" font-size="14" font-weight="bold">kubegate benchmark: latency per system, operation and size (log scale; solid p50, pale p99)</text>
${legend.join('\n')}
<text x="8" y="56" fill="#6b7280">${esc(`${results.mode} run started ${results.startedAt}`)}</text>
${axis.join('\n')}
${parts.join('\n')}
</svg>
`;
}

function tick(e: number): string {
  const ms = 10 ** e;
  return ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`;
}

function fmt(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

/** "p50 / p99 ms", in seconds once the p99 reaches 10 s. */
function pair(p50: number, p99: number): string {
  if (p99 >= 10_000) return `${fmt(p50 / 1000)} / ${fmt(p99 / 1000)} s`;
  return `${fmt(p50)} / ${fmt(p99)} ms`;
}
