/**
 * The gateway's label selector (src/kube/selector.ts) against the simulator's
 * (src/simulator/label-selector.ts), which stands in for kube-apiserver's. Both were written
 * separately from k8s.io/apimachinery; here thousands of generated selectors, valid and not,
 * go through both, and they must agree on whether each parses, where it fails, what it means,
 * how it prints, and which of many label sets it matches.
 */
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  formatLabelSelector,
  type LabelOperator,
  type LabelRequirement,
  LabelSelectorError,
  matchLabels,
  parseLabelSelector,
} from '../../src/kube/selector.js';
import * as sim from '../../src/simulator/label-selector.js';

const SIMULATOR_OPERATOR: Record<LabelOperator, sim.Operator> = {
  In: 'in',
  NotIn: 'notin',
  Exists: 'exists',
  DoesNotExist: '!',
  Equals: '=',
  NotEquals: '!=',
};

/** mulberry32: a small seeded PRNG, so a failure replays exactly. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAME_63 = `k${'8'.repeat(61)}z`;
const PREFIX_253 = ['a'.repeat(63), 'b'.repeat(63), 'c'.repeat(63), 'd'.repeat(61)].join('.');

const GOOD_KEYS = [
  'app',
  'tier',
  'env',
  'in',
  'notin',
  'a',
  'Z9',
  'a-b_c.d',
  'constructor',
  'app.kubernetes.io/name',
  'example.com/x',
  NAME_63,
  `${PREFIX_253}/k`,
];
const BAD_KEYS = [
  '-a',
  'a-',
  '_a',
  'a.',
  'a/b/c',
  '/a',
  'a/',
  'Example.com/a',
  'a..b/c',
  '.a/b',
  'a_b.com/c',
  'a:b',
  'é',
  'a\u0000b',
  '__proto__',
  `${NAME_63}x`,
  `x${PREFIX_253}/k`,
];
const GOOD_VALUES = ['', 'web', 'db', 'in', 'notin', 'v1.2', 'A_b-c', '0', NAME_63];
const BAD_VALUES = ['-x', 'x-', 'a/b', 'ü', '.', `${NAME_63}x`, 'a\u0000'];
const LABEL_VALUES = ['', 'web', 'db', 'in', 'notin', 'v1.2', '0', NAME_63];
const BLANKS = ['', '', '', '', ' ', '  ', '\t', '\n', '\r\n'];
const BROKEN_OPERATORS = ['>', '<', '>=', '<=', '=<', '===', '!', '=!', '!==', 'In', 'NOTIN', '~', '(', ')'];
const ALPHABET = [...'abintoz=!(),<>-./_ \t', 'in', 'notin', 'ü', '\u0000'];

class Generator {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = prng(seed);
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }

  key = () => (this.chance(0.9) ? this.pick(GOOD_KEYS) : this.pick(BAD_KEYS));
  value = () => (this.chance(0.92) ? this.pick(GOOD_VALUES) : this.pick(BAD_VALUES));
  blank = () => this.pick(BLANKS);

  /** `(v,v,...)` with blanks, empty slots and doubled, leading or trailing commas. */
  list(): string {
    const n = this.int(4);
    const parts: string[] = [];
    for (let i = 0; i < n; i++) parts.push(this.blank() + this.value() + this.blank());
    let body = parts.join(this.pick([',', ',', ',', ' , ', ',,', ',,,']));
    if (this.chance(0.1)) body = `,${body}`;
    if (this.chance(0.1)) body = `${body},`;
    if (this.chance(0.04)) body = `${body} ${this.value()}`;
    const close = this.chance(0.95) ? ')' : this.pick(['', '(', '))', ',']);
    return `${this.chance(0.95) ? '(' : this.pick(['', '((', '['])}${body}${close}`;
  }

  requirement(): string {
    const b = this.blank;
    switch (this.int(12)) {
      case 0:
      case 1:
        return this.key();
      case 2:
        return `!${b()}${this.key()}`;
      case 3:
      case 4:
      case 5:
        return `${this.key()}${b()}${this.pick(['=', '==', '!='])}${b()}${this.value()}`;
      case 6:
      case 7:
      case 8:
        return `${this.key()}${b()}${this.pick(['in', 'notin'])}${this.pick(['', ' ', '\t'])}${this.list()}`;
      case 9:
        return `${this.key()}${b()}${this.pick(BROKEN_OPERATORS)}${b()}${this.value()}`;
      case 10:
        return `!${b()}${this.key()}${b()}${this.pick(['=', '!=', 'in', ''])}${b()}${this.value()}`;
      default:
        return `${this.key()} ${this.value()}`;
    }
  }

  selector(): string {
    const n = this.int(5);
    const reqs = Array.from({ length: n }, () => this.requirement());
    let text = reqs.join(this.pick([',', ',', ',', ', ', ' ,', ' , ', ',,', ' ']));
    if (this.chance(0.05)) text = `,${text}`;
    if (this.chance(0.05)) text = `${text},`;
    if (this.chance(0.2)) text = `${this.blank()}${text}${this.blank()}`;
    return text;
  }

  /** A selector with one to three single-character edits: where the grammar's edges are. */
  mutated(): string {
    const chars = [...this.selector()];
    for (let edits = 1 + this.int(3); edits > 0; edits--) {
      const at = this.int(chars.length + 1);
      const op = this.int(3);
      if (op === 0 && chars.length > 0) chars.splice(Math.min(at, chars.length - 1), 1);
      else if (op === 1) chars.splice(at, 0, this.pick(ALPHABET));
      else if (chars.length > 1) {
        const i = Math.min(at, chars.length - 2);
        [chars[i], chars[i + 1]] = [chars[i + 1], chars[i]];
      }
    }
    return chars.join('');
  }

  /** Short strings over the selector's alphabet: no grammar at all. */
  noise(): string {
    return Array.from({ length: this.int(12) }, () => this.pick(ALPHABET)).join('');
  }

  labels(): Record<string, string> | undefined {
    if (this.chance(0.05)) return undefined;
    const entries = Array.from({ length: this.int(5) }, () => [
      this.pick(GOOD_KEYS),
      this.pick(LABEL_VALUES),
    ]);
    return Object.fromEntries(entries);
  }
}

type Outcome = { ok: true; reqs: LabelRequirement[] } | { ok: false; position: number; message: string };
type SimOutcome = { ok: true; reqs: sim.Requirement[] } | { ok: false; position: number; message: string };

function viaGateway(text: string): Outcome {
  try {
    return { ok: true, reqs: parseLabelSelector(text) };
  } catch (err) {
    if (!(err instanceof LabelSelectorError)) throw err;
    return { ok: false, position: err.position, message: err.message };
  }
}

function viaSimulator(text: string): SimOutcome {
  try {
    return { ok: true, reqs: sim.parseLabelSelector(text) };
  } catch (err) {
    if (!(err instanceof sim.SelectorParseError)) throw err;
    return { ok: false, position: err.position, message: err.message };
  }
}

const asSimulator = (reqs: readonly LabelRequirement[]): sim.Requirement[] =>
  reqs.map((r) => ({ key: r.key, operator: SIMULATOR_OPERATOR[r.operator], values: [...r.values] }));

interface Tally {
  valid: number;
  invalid: number;
  operators: Set<LabelOperator>;
  matched: number;
  unmatched: number;
}

/** Everything the two sides disagree on for `text` (empty when they agree), tallying what was covered. */
function disagreements(
  text: string,
  labelSets: readonly (Record<string, string> | undefined)[],
  tally: Tally,
) {
  const ours = viaGateway(text);
  const theirs = viaSimulator(text);
  const problems: string[] = [];
  const say = (what: string) => problems.push(`${JSON.stringify(text)}: ${what}`);
  if (!ours.ok || !theirs.ok) {
    tally.invalid++;
    if (ours.ok && !theirs.ok) say(`gateway accepts, simulator rejects: ${theirs.message}`);
    if (!ours.ok && theirs.ok) say(`gateway rejects, simulator accepts: ${ours.message}`);
    if (!ours.ok && !theirs.ok && ours.position !== theirs.position) {
      say(`fails at ${ours.position} here, at ${theirs.position} in the simulator: ${theirs.message}`);
    }
    return problems;
  }
  tally.valid++;
  for (const r of ours.reqs) tally.operators.add(r.operator);
  if (!isDeepStrictEqual(asSimulator(ours.reqs), theirs.reqs)) {
    say(`parsed as ${JSON.stringify(ours.reqs)} here, ${JSON.stringify(theirs.reqs)} in the simulator`);
  }
  const canonical = formatLabelSelector(ours.reqs);
  if (canonical !== sim.formatRequirements(theirs.reqs)) {
    say(
      `prints ${JSON.stringify(canonical)} here, ${JSON.stringify(sim.formatRequirements(theirs.reqs))} there`,
    );
  }
  const reparsed = viaSimulator(canonical);
  if (!reparsed.ok || sim.formatRequirements(reparsed.reqs) !== canonical) {
    say(`the canonical ${JSON.stringify(canonical)} does not read back the same in the simulator`);
  }
  for (const labels of labelSets) {
    const here = matchLabels(ours.reqs, labels);
    if (here) tally.matched++;
    else tally.unmatched++;
    if (here !== sim.matchesLabels(theirs.reqs, labels)) {
      say(
        `${here ? 'matches' : 'does not match'} ${JSON.stringify(labels)} here, the opposite in the simulator`,
      );
    }
  }
  return problems;
}

const EDGE_CASES = [
  '',
  ' \t\r\n',
  ',',
  '!',
  'in',
  'notin',
  'in in (in)',
  'notin notin (notin)',
  'in notin ()',
  'a in ()',
  'a in (,)',
  'a in (,,)',
  'a in (a,,)',
  'a in (,a)',
  'a in (a,)',
  'a in (a,,b)',
  'x in (foo,,baz),y,z notin ()',
  'a=',
  'a==',
  'a!=',
  'a=,b',
  'a=b,',
  ',a=b',
  'a=b,,c',
  '!a',
  '! a',
  '!!a',
  '!a=b',
  '!a in (b)',
  'a>1',
  'a<1',
  'a >= 1',
  'a=>1',
  'a<>b',
  'a===b',
  'a!==b',
  'a=!b',
  'a in (b)c',
  'a in b',
  'a in',
  'a in (',
  'a in ((b))',
  'a In (b)',
  'a\u0000',
  '\u0000',
  'a\u000bb',
  'a\u00a0b',
  'constructor',
  '!toString',
  `${NAME_63}=${NAME_63}`,
  `${PREFIX_253}/k`,
  `x${PREFIX_253}/k`,
];

describe('gateway and simulator label selectors agree', () => {
  const seeds = [1, 7, 2024];
  const gen = new Generator(99);
  const labelSets = [
    undefined,
    {},
    { constructor: 'web' },
    Object.fromEntries(GOOD_KEYS.map((k) => [k, ''])),
    ...Array.from({ length: 80 }, () => gen.labels()),
  ];

  it('on hand-picked edge cases', () => {
    const tally: Tally = { valid: 0, invalid: 0, operators: new Set(), matched: 0, unmatched: 0 };
    const problems = EDGE_CASES.flatMap((text) => disagreements(text, labelSets, tally));
    expect(problems).toEqual([]);
    expect(tally.valid).toBeGreaterThan(20);
    expect(tally.invalid).toBeGreaterThan(20);
  });

  it.each(seeds)('on generated selectors and label sets, seed %i', (seed) => {
    const g = new Generator(seed);
    const tally: Tally = { valid: 0, invalid: 0, operators: new Set(), matched: 0, unmatched: 0 };
    const problems: string[] = [];
    const texts: string[] = [];
    for (let i = 0; i < 1500; i++) texts.push(g.selector(), g.mutated());
    for (let i = 0; i < 500; i++) texts.push(g.noise());
    for (const text of texts) {
      problems.push(...disagreements(text, labelSets, tally));
      if (problems.length > 20) break;
    }
    expect(problems).toEqual([]);
    // Guard against a generator that drifted into testing nothing: both verdicts, every
    // operator, and matches going both ways must be well represented.
    expect(tally.valid).toBeGreaterThan(texts.length / 5);
    expect(tally.invalid).toBeGreaterThan(texts.length / 5);
    expect([...tally.operators].sort()).toEqual([
      'DoesNotExist',
      'Equals',
      'Exists',
      'In',
      'NotEquals',
      'NotIn',
    ]);
    expect(tally.matched).toBeGreaterThan(tally.valid * 5);
    expect(tally.unmatched).toBeGreaterThan(tally.valid * 5);
  });

  it('both refuse the gt/lt comparisons, wherever they appear', () => {
    const g = new Generator(5);
    let checked = 0;
    for (let i = 0; i < 300; i++) {
      const valid = g.selector();
      if (!viaGateway(valid).ok || !viaSimulator(valid).ok) continue;
      const text = `${valid}${valid.trim() ? ',' : ''}${g.pick(GOOD_KEYS)}${g.blank()}${g.pick(['>', '<'])}${g.blank()}${g.int(100)}`;
      const ours = viaGateway(text);
      const theirs = viaSimulator(text);
      expect(ours.ok, text).toBe(false);
      expect(theirs.ok, text).toBe(false);
      if (!ours.ok && !theirs.ok) expect(ours.position).toBe(theirs.position);
      checked++;
    }
    expect(checked).toBeGreaterThan(50);
  });
});
