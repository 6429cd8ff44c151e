/**
 * Label selectors, parsed and matched the way kube-apiserver does it
 * (k8s.io/apimachinery/pkg/labels). The grammar:
 *
 *   selector    := '' | requirement (',' requirement)*
 *   requirement := key | '!' key | key ('=' | '==' | '!=') value? | key ('in' | 'notin') '(' values ')'
 *
 * Keys are qualified names (`app`, `app.kubernetes.io/name`), values are label values (may be empty).
 * Like k8s, a word runs until whitespace or one of `=!(),<>`, and is validated afterwards, so a bad
 * character inside a key is reported as an invalid key rather than as an unexpected token.
 * Set-based comparisons `>`/`<` (which k8s also parses) are refused: nothing here uses them.
 */

export type Operator = 'in' | 'notin' | 'exists' | '!' | '=' | '!=';

/** One comma-separated term of a selector. `values` is sorted and unique for `in`/`notin`, as in k8s. */
export interface Requirement {
  key: string;
  operator: Operator;
  values: string[];
}

/** A selector that does not parse. `position` is the 0-based index in the text where it went wrong. */
export class SelectorParseError extends Error {
  readonly position: number;
  constructor(message: string, position: number) {
    super(message);
    this.name = 'SelectorParseError';
    this.position = position;
  }
}

type TokenKind = 'word' | 'end' | '(' | ')' | ',' | '!' | '=' | '==' | '!=' | '<' | '>';
interface Token {
  kind: TokenKind;
  text: string;
  pos: number;
}

const SPECIAL = new Set(['=', '!', '(', ')', ',', '<', '>']);
const WHITESPACE = new Set([' ', '\t', '\r', '\n']);

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (WHITESPACE.has(ch)) {
      i++;
    } else if (SPECIAL.has(ch)) {
      // Longest match, as k8s's scanner: `!=` and `==` are one token, `=!` is two.
      const two = text.slice(i, i + 2);
      const kind = (two === '!=' || two === '==' ? two : ch) as TokenKind;
      tokens.push({ kind, text: kind, pos: i });
      i += kind.length;
    } else {
      const start = i;
      while (i < text.length && !WHITESPACE.has(text[i]) && !SPECIAL.has(text[i])) i++;
      tokens.push({ kind: 'word', text: text.slice(start, i), pos: start });
    }
  }
  tokens.push({ kind: 'end', text: '', pos: text.length });
  return tokens;
}

const found = (t: Token) => (t.kind === 'end' ? 'found end of string' : `found ${JSON.stringify(t.text)}`);

/** Parses a label selector; '' (or only whitespace) is the selector that matches everything. */
export function parseLabelSelector(text: string): Requirement[] {
  const tokens = tokenize(text);
  let at = 0;
  const peek = () => tokens[at];
  const next = () => tokens[at++];
  const fail = (what: string, t: Token): never => {
    throw new SelectorParseError(
      `unable to parse requirement: ${what} at position ${t.pos}, ${found(t)}`,
      t.pos,
    );
  };

  /** A value; empty when the next token is one of `emptyBefore` (`key=`, `key in (a,)` carry ''). */
  const readValue = (key: string, emptyBefore: TokenKind[]): string => {
    const t = peek();
    if (emptyBefore.includes(t.kind)) return '';
    if (t.kind !== 'word') fail(`expected a value for key ${JSON.stringify(key)}`, t);
    next();
    const problem = labelValueProblem(t.text);
    if (problem) {
      throw new SelectorParseError(
        `unable to parse requirement: invalid label value ${JSON.stringify(t.text)} for key ${JSON.stringify(key)} at position ${t.pos}: ${problem}`,
        t.pos,
      );
    }
    return t.text;
  };

  const readRequirement = (): Requirement => {
    const negated = peek().kind === '!';
    if (negated) next();
    const keyToken = next();
    if (keyToken.kind !== 'word')
      fail(negated ? 'expected a key after "!"' : 'expected a key or "!"', keyToken);
    const key = keyToken.text;
    const problem = qualifiedNameProblem(key);
    if (problem) {
      throw new SelectorParseError(
        `unable to parse requirement: invalid label key ${JSON.stringify(key)} at position ${keyToken.pos}: ${problem}`,
        keyToken.pos,
      );
    }
    const after = peek();
    if (negated || after.kind === 'end' || after.kind === ',') {
      return { key, operator: negated ? '!' : 'exists', values: [] };
    }
    const op = next();
    if (op.kind === '=' || op.kind === '==' || op.kind === '!=') {
      return { key, operator: op.kind === '!=' ? '!=' : '=', values: [readValue(key, ['end', ','])] };
    }
    if (op.kind !== 'word' || (op.text !== 'in' && op.text !== 'notin')) {
      fail(`expected one of "=", "==", "!=", "in", "notin" after key ${JSON.stringify(key)}`, op);
    }
    const open = next();
    if (open.kind !== '(') fail(`expected "(" after "${op.text}"`, open);
    const values = new Set<string>();
    for (;;) {
      values.add(readValue(key, [',', ')']));
      const t = next();
      if (t.kind === ')') break;
      if (t.kind !== ',') fail('expected "," or ")" in the list of values', t);
    }
    return { key, operator: op.text as 'in' | 'notin', values: [...values].sort() };
  };

  const requirements: Requirement[] = [];
  if (peek().kind === 'end') return requirements;
  for (;;) {
    requirements.push(readRequirement());
    const t = next();
    if (t.kind === 'end') return requirements;
    if (t.kind !== ',') fail('expected "," or end of string after a requirement', t);
    // k8s refuses a trailing or doubled comma.
    if (peek().kind !== 'word' && peek().kind !== '!') fail('expected a key or "!" after ","', peek());
  }
}

/** Whether labels satisfy every requirement. A missing key satisfies `!=`, `notin` and `!`, as in k8s. */
export function matchesLabels(reqs: Requirement[], labels: Record<string, string> | undefined): boolean {
  const ls = labels ?? {};
  return reqs.every((r) => matchesOne(r, ls));
}

function matchesOne(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, r.key);
  switch (r.operator) {
    case 'exists':
      return has;
    case '!':
      return !has;
    case '=':
    case 'in':
      return has && r.values.includes(labels[r.key]);
    case '!=':
    case 'notin':
      return !has || !r.values.includes(labels[r.key]);
  }
}

/** The canonical text of requirements, as k8s's Selector.String(): sorted by key, values sorted. */
export function formatRequirements(reqs: Requirement[]): string {
  const sorted = [...reqs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return sorted.map(formatOne).join(',');
}

function formatOne(r: Requirement): string {
  const values = [...r.values].sort().join(',');
  switch (r.operator) {
    case 'exists':
      return r.key;
    case '!':
      return `!${r.key}`;
    case '=':
    case '!=':
      return `${r.key}${r.operator}${values}`;
    case 'in':
    case 'notin':
      return `${r.key} ${r.operator} (${values})`;
  }
}

/** The structured selector of a Job, Deployment... (metav1.LabelSelector) as it travels on the wire. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

const EXPRESSION_OPERATORS: Record<string, Operator> = {
  In: 'in',
  NotIn: 'notin',
  Exists: 'exists',
  DoesNotExist: '!',
};

/**
 * Converts a structured selector to requirements, validating it as metav1.LabelSelectorAsSelector does.
 * An empty selector matches everything; throws SelectorParseError (position 0) when it is invalid.
 */
export function fromLabelSelector(selector: LabelSelector): Requirement[] {
  const invalid = (message: string): never => {
    throw new SelectorParseError(message, 0);
  };
  const check = (key: string, values: string[]) => {
    const keyProblem = qualifiedNameProblem(key);
    if (keyProblem) invalid(`invalid label key ${JSON.stringify(key)}: ${keyProblem}`);
    for (const v of values) {
      const problem = labelValueProblem(v);
      if (problem)
        invalid(`invalid label value ${JSON.stringify(v)} for key ${JSON.stringify(key)}: ${problem}`);
    }
  };
  const reqs: Requirement[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    check(key, [value]);
    reqs.push({ key, operator: '=', values: [value] });
  }
  for (const e of selector.matchExpressions ?? []) {
    const operator =
      EXPRESSION_OPERATORS[e.operator] ??
      invalid(`${JSON.stringify(e.operator)} is not a valid label selector operator`);
    const values = [...new Set(e.values ?? [])].sort();
    const setBased = operator === 'in' || operator === 'notin';
    if (setBased && values.length === 0) invalid(`for 'in', 'notin' operators, values set can't be empty`);
    if (!setBased && values.length > 0) invalid(`values set must be empty for exists and does not exist`);
    check(e.key, values);
    reqs.push({ key: e.key, operator, values });
  }
  return reqs;
}

// Validation, with k8s.io/apimachinery/pkg/util/validation's messages.

const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const NAME_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const NAME_MSG = `must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '${NAME_FMT}')`;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_MSG = `a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Why `key` is not a qualified name (`[prefix/]name`), or undefined when it is one. */
function qualifiedNameProblem(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length > 2) {
    return `a qualified name ${NAME_MSG} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`;
  }
  const name = parts.length === 2 ? parts[1] : parts[0];
  if (parts.length === 2) {
    const prefix = parts[0];
    if (prefix.length === 0) return 'prefix part must be non-empty';
    if (prefix.length > 253) return 'prefix part must be no more than 253 characters';
    if (!DNS1123_SUBDOMAIN.test(prefix)) return `prefix part ${DNS1123_MSG}`;
  }
  if (name.length === 0) return 'name part must be non-empty';
  if (name.length > 63) return 'name part must be no more than 63 characters';
  if (!NAME.test(name)) return `name part ${NAME_MSG}`;
  return undefined;
}

/** Why `value` is not a label value, or undefined when it is one. */
function labelValueProblem(value: string): string | undefined {
  if (value.length > 63) return 'must be no more than 63 characters';
  if (!LABEL_VALUE.test(value)) {
    return `a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`;
  }
  return undefined;
}
