/**
 * The gateway's Kubernetes label selectors: parsed from the text a frontend sends, matched
 * against cached objects, reduced to `key=value` pairs for the label index (INDEX_LABEL), and
 * printed back canonically for an API server. The simulator keeps its own parser on purpose (it
 * stands in for kube-apiserver); test/kube/selector-crosscheck.test.ts runs one against the other.
 *
 * Grammar, as k8s.io/apimachinery/pkg/labels reads it:
 *
 *   selector    := <nothing> | requirement { "," requirement }
 *   requirement := "!" key | key [ ("=" | "==" | "!=") [value] | ("in" | "notin") "(" list ")" ]
 *   list        := [value] { "," [value] }        (a value left out is the empty value)
 *
 * A word runs until whitespace (space, tab, CR, LF) or one of `=!(),<>` and is validated once
 * read, so `app:x=1` is reported as a bad key, not as a stray `:`. `in` and `notin` are operators
 * only right after a key: `in in (in)` is a valid selector. kube-apiserver also takes `key>1` and
 * `key<1`; we refuse them (no caller needs them, and the simulator refuses them too).
 * Where k8s's parser has accidents we follow its documented grammar instead: `x in (a,,)` is
 * {a, ''} here (k8s rejects an even run of commas before `)`), and NUL is an ordinary (invalid)
 * character (k8s's lexer takes it for the end of the text).
 */

export type LabelOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Equals' | 'NotEquals';

/**
 * One comma-separated term. `values` is empty for Exists/DoesNotExist, one value for
 * Equals/NotEquals (`k=` has the value ''), and sorted and unique for In/NotIn, as in k8s.
 */
export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: readonly string[];
}

/** A selector that does not parse, with what the parser wanted and what it got instead. */
export class LabelSelectorError extends Error {
  /** 0-based index into `selector` (UTF-16 code units) of the token that went wrong. */
  readonly position: number;
  readonly expected: string;
  readonly found: string;
  readonly selector: string;

  constructor(selector: string, position: number, expected: string, found: string) {
    super(
      `invalid label selector ${quoteSelector(selector)} at position ${position}: ` +
        `expected ${expected}, found ${found}\n${pointAt(selector, position)}`,
    );
    this.name = 'LabelSelectorError';
    this.selector = selector;
    this.position = position;
    this.expected = expected;
    this.found = found;
  }
}

/** The selector as a message quotes it: at most 100 characters of it (the caret line shows where it failed). */
function quoteSelector(selector: string): string {
  return selector.length <= 100
    ? JSON.stringify(selector)
    : `${JSON.stringify(selector.slice(0, 100))}… (${selector.length} characters)`;
}

/** Two indented lines: the selector (or a window of it) and a caret under `position`. */
function pointAt(selector: string, position: number): string {
  const WINDOW = 60;
  let from = 0;
  let to = selector.length;
  if (to > 2 * WINDOW) {
    from = Math.max(0, position - WINDOW);
    to = Math.min(selector.length, position + WINDOW);
  }
  const head = from > 0 ? '…' : '';
  const tail = to < selector.length ? '…' : '';
  const shown = selector.slice(from, to).replace(/[\t\r\n]/g, ' ');
  return `  ${head}${shown}${tail}\n  ${' '.repeat(head.length + position - from)}^`;
}

const KEY_SHAPE =
  'a label key (an optional lowercase DNS subdomain and "/", then a name of 1 to 63 letters, digits, ' +
  '"-", "_" or "." that begins and ends with a letter or digit)';
const VALUE_SHAPE =
  'a label value (empty, or up to 63 letters, digits, "-", "_" or "." beginning and ending with a letter or digit)';
const OPERATORS = '"=", "==", "!=", "in" or "notin"';

type Token =
  | { kind: 'word'; text: string; at: number }
  | { kind: 'symbol'; text: string; at: number }
  | { kind: 'eof'; text: ''; at: number };

const BLANKS = ' \t\r\n';
const SYMBOLS = '=!(),<>';

/** On-demand tokenizer with one token of lookahead. */
class Lexer {
  private offset = 0;
  private buffered: Token | undefined;

  constructor(private readonly source: string) {}

  peek(): Token {
    this.buffered ??= this.scan();
    return this.buffered;
  }

  take(): Token {
    const token = this.peek();
    this.buffered = undefined;
    return token;
  }

  private scan(): Token {
    const src = this.source;
    while (this.offset < src.length && BLANKS.includes(src[this.offset])) this.offset++;
    const at = this.offset;
    if (at === src.length) return { kind: 'eof', text: '', at };
    if (SYMBOLS.includes(src[at])) {
      // k8s scans the longest known symbol, and the only two-character ones are `!=` and `==`.
      const two = src.slice(at, at + 2);
      const text = two === '!=' || two === '==' ? two : src[at];
      this.offset += text.length;
      return { kind: 'symbol', text, at };
    }
    let end = at + 1;
    while (end < src.length && !BLANKS.includes(src[end]) && !SYMBOLS.includes(src[end])) end++;
    this.offset = end;
    return { kind: 'word', text: src.slice(at, end), at };
  }
}

const is = (token: Token, symbol: string) => token.kind === 'symbol' && token.text === symbol;
const endsRequirement = (token: Token) => token.kind === 'eof' || is(token, ',');

/** What a token looks like in an error message. */
function describeToken(token: Token, why?: string): string {
  if (token.kind === 'eof') return 'end of input';
  const text = token.text.length > 40 ? `${token.text.slice(0, 40)}…` : token.text;
  return why ? `${JSON.stringify(text)} (${why})` : JSON.stringify(text);
}

/** Recursive descent over the grammar above; each method consumes exactly its production. */
class Parser {
  private readonly lexer: Lexer;

  constructor(private readonly source: string) {
    this.lexer = new Lexer(source);
  }

  private fail(token: Token, expected: string, why?: string): never {
    throw new LabelSelectorError(this.source, token.at, expected, describeToken(token, why));
  }

  selector(): LabelRequirement[] {
    const requirements: LabelRequirement[] = [];
    if (this.lexer.peek().kind === 'eof') return requirements;
    for (;;) {
      const requirement = this.requirement();
      requirements.push(requirement);
      const separator = this.lexer.take();
      if (separator.kind === 'eof') return requirements;
      // A trailing or doubled comma fails in requirement(), which wants a key next.
      if (!is(separator, ',')) {
        const negated = requirement.operator === 'DoesNotExist';
        this.fail(
          separator,
          '"," or end of input',
          negated ? '"!key" takes no operator or value' : undefined,
        );
      }
    }
  }

  private requirement(): LabelRequirement {
    if (is(this.lexer.peek(), '!')) {
      this.lexer.take();
      return { key: this.key('a label key after "!"'), operator: 'DoesNotExist', values: [] };
    }
    const key = this.key('a label key or "!"');
    if (endsRequirement(this.lexer.peek())) return { key, operator: 'Exists', values: [] };
    const op = this.lexer.take();
    if (op.kind === 'symbol') {
      if (op.text === '=' || op.text === '==')
        return { key, operator: 'Equals', values: [this.exactValue()] };
      if (op.text === '!=') return { key, operator: 'NotEquals', values: [this.exactValue()] };
      if (op.text === '<' || op.text === '>') {
        this.fail(op, OPERATORS, 'the "<" and ">" comparisons are not supported');
      }
    } else if (op.kind === 'word' && (op.text === 'in' || op.text === 'notin')) {
      return { key, operator: op.text === 'in' ? 'In' : 'NotIn', values: this.valueList(op.text) };
    }
    return this.fail(op, OPERATORS);
  }

  private key(expected: string): string {
    const token = this.lexer.take();
    if (token.kind !== 'word') this.fail(token, expected);
    const problem = keyProblem(token.text);
    if (problem) this.fail(token, KEY_SHAPE, problem);
    return token.text;
  }

  /** The value after `=`, `==` or `!=`; nothing before `,` or the end is the empty value. */
  private exactValue(): string {
    if (endsRequirement(this.lexer.peek())) return '';
    return this.value('a label value, "," or end of input');
  }

  private value(expected: string): string {
    const token = this.lexer.take();
    if (token.kind !== 'word') this.fail(token, expected);
    const problem = valueProblem(token.text);
    if (problem) this.fail(token, VALUE_SHAPE, problem);
    return token.text;
  }

  /** `( [value] { , [value] } )` after in/notin: `()`, `(,a)` and `(a,)` hold the empty value. */
  private valueList(operator: string): string[] {
    const open = this.lexer.take();
    if (!is(open, '(')) this.fail(open, `"(" after "${operator}"`);
    const values = new Set<string>();
    for (;;) {
      const next = this.lexer.peek();
      values.add(is(next, ',') || is(next, ')') ? '' : this.value('a label value, "," or ")"'));
      const separator = this.lexer.take();
      if (is(separator, ')')) return [...values].sort();
      if (!is(separator, ',')) this.fail(separator, '"," or ")"');
    }
  }
}

/**
 * Parses Kubernetes label selector text; '' (or blanks) is the selector that matches everything.
 * Requirements come back in the order written. Throws LabelSelectorError.
 */
export function parseLabelSelector(text: string): LabelRequirement[] {
  if (text.length > MAX_SELECTOR_LENGTH) {
    throw new LabelSelectorError(
      text,
      MAX_SELECTOR_LENGTH,
      `a selector of at most ${MAX_SELECTOR_LENGTH} characters`,
      `${text.length} characters`,
    );
  }
  return new Parser(text).selector();
}

/**
 * The longest selector accepted. Each key and value is bounded as Kubernetes bounds them
 * (the grammar checks those); this bounds how many there are, and so what a memo keyed by
 * a selector can hold: a real selector is a few dozen characters.
 */
export const MAX_SELECTOR_LENGTH = 4096;

/** Whether `labels` satisfy every requirement. A missing key satisfies NotEquals, NotIn and DoesNotExist. */
export function matchLabels(
  reqs: readonly LabelRequirement[],
  labels: Readonly<Record<string, string>> | undefined,
): boolean {
  for (const r of reqs) {
    const value = labels !== undefined && Object.hasOwn(labels, r.key) ? labels[r.key] : undefined;
    if (!satisfies(r, value)) return false;
  }
  return true;
}

/** One requirement against the label's value, undefined when the object has no such label. */
function satisfies(r: LabelRequirement, value: string | undefined): boolean {
  switch (r.operator) {
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Equals':
    case 'In':
      return value !== undefined && r.values.includes(value);
    case 'NotEquals':
    case 'NotIn':
      return value === undefined || !r.values.includes(value);
  }
}

/**
 * `key=value` for every requirement that pins a key to one value (Equals, In with one value):
 * the keys of INDEX_LABEL. Any one of them narrows the candidates; the rest must still be matched.
 */
export function equalityPairs(reqs: readonly LabelRequirement[]): string[] {
  const pairs = new Set<string>();
  for (const r of reqs) {
    const pinned = r.operator === 'Equals' || (r.operator === 'In' && new Set(r.values).size === 1);
    if (pinned && r.values.length > 0) pairs.add(`${r.key}=${r.values[0]}`);
  }
  return [...pairs];
}

/**
 * The canonical text of requirements, as k8s's Selector.String() prints it: sorted by key (stable),
 * values sorted. It re-parses to the same requirements here and in kube-apiserver, so it is what to
 * push down. Throws RangeError for a requirement that parseLabelSelector could not have produced
 * (bad key or value, wrong number of values), rather than print text that means something else.
 */
export function formatLabelSelector(reqs: readonly LabelRequirement[]): string {
  const sorted = [...reqs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return sorted.map(formatRequirement).join(',');
}

function formatRequirement(r: LabelRequirement): string {
  const invalid = (why: string): never => {
    throw new RangeError(`cannot format label requirement ${JSON.stringify(r)}: ${why}`);
  };
  const keyIssue = keyProblem(r.key);
  if (keyIssue) invalid(`the key ${keyIssue}`);
  for (const v of r.values) {
    const issue = valueProblem(v);
    if (issue) invalid(`the value ${JSON.stringify(v)} ${issue}`);
  }
  const values = [...new Set(r.values)].sort();
  const arity = values.length;
  switch (r.operator) {
    case 'Exists':
    case 'DoesNotExist':
      if (arity !== 0) invalid(`${r.operator} takes no values`);
      return r.operator === 'Exists' ? r.key : `!${r.key}`;
    case 'Equals':
    case 'NotEquals':
      if (arity !== 1) invalid(`${r.operator} takes exactly one value`);
      return `${r.key}${r.operator === 'Equals' ? '=' : '!='}${values[0]}`;
    case 'In':
    case 'NotIn':
      if (arity === 0) invalid(`${r.operator} takes at least one value`);
      return `${r.key} ${r.operator === 'In' ? 'in' : 'notin'} (${values.join(',')})`;
  }
}

// Validation with k8s.io/apimachinery/pkg/util/validation's rules (IsQualifiedName,
// IsValidLabelValue), phrased for the person who typed the selector.

const MAX_NAME = 63;
const MAX_PREFIX = 253;
const MAX_VALUE = 63;
const ALNUM_EDGES = /^[A-Za-z0-9](?:.*[A-Za-z0-9])?$/s;

/** The rules label names and non-empty values share, or why `text` breaks them. */
function nameProblem(text: string, what: string): string | undefined {
  if (/[^-A-Za-z0-9_.]/.test(text)) return `${what} may only hold letters, digits, "-", "_" and "."`;
  if (!ALNUM_EDGES.test(text)) return `${what} must begin and end with a letter or digit`;
  return undefined;
}

/** Why `prefix` is not a lowercase RFC 1123 subdomain (dot-separated labels), or undefined. */
function subdomainProblem(prefix: string): string | undefined {
  if (prefix.length > MAX_PREFIX) return `the prefix is ${prefix.length} characters, at most ${MAX_PREFIX}`;
  if (/[^-a-z0-9.]/.test(prefix)) return 'the prefix may only hold lowercase letters, digits, "-" and "."';
  for (const part of prefix.split('.')) {
    if (!/^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/.test(part)) {
      return 'each dot-separated part of the prefix must begin and end with a lowercase letter or digit';
    }
  }
  return undefined;
}

/** Why `key` is not a qualified name (`[prefix/]name`), or undefined when it is one. */
function keyProblem(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length > 2) return 'a key holds at most one "/"';
  const name = parts[parts.length - 1];
  if (parts.length === 2) {
    if (parts[0] === '') return 'the prefix before "/" is empty';
    const problem = subdomainProblem(parts[0]);
    if (problem) return problem;
  }
  if (name === '') return 'the name after "/" is empty';
  if (name.length > MAX_NAME) return `the name is ${name.length} characters, at most ${MAX_NAME}`;
  return nameProblem(name, 'the name');
}

/** Why `value` is not a label value, or undefined when it is one ('' is one). */
function valueProblem(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > MAX_VALUE) return `the value is ${value.length} characters, at most ${MAX_VALUE}`;
  return nameProblem(value, 'a value');
}
