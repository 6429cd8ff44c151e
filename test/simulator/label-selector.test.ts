import { describe, expect, it } from 'vitest';
import {
  formatRequirements,
  fromLabelSelector,
  matchesLabels,
  parseLabelSelector,
  type Requirement,
  SelectorParseError,
} from '../../src/simulator/label-selector.js';

function parseError(text: string): SelectorParseError {
  try {
    parseLabelSelector(text);
  } catch (err) {
    if (err instanceof SelectorParseError) return err;
    throw err;
  }
  throw new Error(`expected ${JSON.stringify(text)} not to parse`);
}

describe('parseLabelSelector', () => {
  it.each([
    ['', []],
    ['   ', []],
    ['app=web', [{ key: 'app', operator: '=', values: ['web'] }]],
    ['app==web', [{ key: 'app', operator: '=', values: ['web'] }]],
    ['app!=web', [{ key: 'app', operator: '!=', values: ['web'] }]],
    ['app', [{ key: 'app', operator: 'exists', values: [] }]],
    ['!app', [{ key: 'app', operator: '!', values: [] }]],
    ['app in (web,db)', [{ key: 'app', operator: 'in', values: ['db', 'web'] }]],
    ['app notin (web)', [{ key: 'app', operator: 'notin', values: ['web'] }]],
    ['app in(web)', [{ key: 'app', operator: 'in', values: ['web'] }]],
    ['app notin(a,b)', [{ key: 'app', operator: 'notin', values: ['a', 'b'] }]],
    [
      'app.kubernetes.io/name=kubegate',
      [{ key: 'app.kubernetes.io/name', operator: '=', values: ['kubegate'] }],
    ],
    ['tier=', [{ key: 'tier', operator: '=', values: [''] }]],
    ['tier!=', [{ key: 'tier', operator: '!=', values: [''] }]],
    [
      'tier==,app',
      [
        { key: 'tier', operator: '=', values: [''] },
        { key: 'app', operator: 'exists', values: [] },
      ],
    ],
  ] satisfies [string, Requirement[]][])('parses %j', (text, expected) => {
    expect(parseLabelSelector(text)).toEqual(expected);
  });

  it('parses several requirements, whitespace tolerant', () => {
    expect(parseLabelSelector('  env in ( prod , staging ) ,  !legacy,tier = frontend, app ,x!=y ')).toEqual([
      { key: 'env', operator: 'in', values: ['prod', 'staging'] },
      { key: 'legacy', operator: '!', values: [] },
      { key: 'tier', operator: '=', values: ['frontend'] },
      { key: 'app', operator: 'exists', values: [] },
      { key: 'x', operator: '!=', values: ['y'] },
    ]);
    expect(parseLabelSelector('a=b\t,\nc')).toHaveLength(2);
  });

  it('keeps set values sorted and unique, with empty members where k8s has them', () => {
    expect(parseLabelSelector('a in (c,b,c)')[0].values).toEqual(['b', 'c']);
    expect(parseLabelSelector('a in ()')[0].values).toEqual(['']);
    expect(parseLabelSelector('a in (,)')[0].values).toEqual(['']);
    expect(parseLabelSelector('a in (b,)')[0].values).toEqual(['', 'b']);
    expect(parseLabelSelector('a in (b,,c)')[0].values).toEqual(['', 'b', 'c']);
  });

  it('treats "in" and "notin" as keywords only where an operator is expected', () => {
    expect(parseLabelSelector('in in (in,notin)')).toEqual([
      { key: 'in', operator: 'in', values: ['in', 'notin'] },
    ]);
    expect(parseLabelSelector('notin=in')).toEqual([{ key: 'notin', operator: '=', values: ['in'] }]);
  });

  it('accepts keys and values at the length limits', () => {
    const name = 'a'.repeat(63);
    const prefix = `${'b'.repeat(60)}.example.com`;
    expect(parseLabelSelector(`${prefix}/${name}=${name}`)).toEqual([
      { key: `${prefix}/${name}`, operator: '=', values: [name] },
    ]);
    expect(parseLabelSelector('A_b.c-9=X.y_z-0')[0]).toEqual({
      key: 'A_b.c-9',
      operator: '=',
      values: ['X.y_z-0'],
    });
  });

  it('says what it expected, what it found and where', () => {
    const err = parseError('app ~x');
    expect(err.message).toBe(
      'unable to parse requirement: expected one of "=", "==", "!=", "in", "notin" after key "app" at position 4, found "~x"',
    );
    expect(err.position).toBe(4);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('SelectorParseError');
    expect(parseError('app ~').message).toBe(
      'unable to parse requirement: expected one of "=", "==", "!=", "in", "notin" after key "app" at position 4, found "~"',
    );
  });

  it.each([
    // [selector, position, fragment of the message]
    ['app in web', 7, 'expected "(" after "in" at position 7, found "web"'],
    ['app in (a b)', 10, 'expected "," or ")" in the list of values at position 10, found "b"'],
    ['app in (a', 9, 'expected "," or ")" in the list of values at position 9, found end of string'],
    ['app in (=)', 8, 'expected a value for key "app" at position 8, found "="'],
    ['app=(x)', 4, 'expected a value for key "app" at position 4, found "("'],
    ['a=b c', 4, 'expected "," or end of string after a requirement at position 4, found "c"'],
    ['a=b=c', 3, 'found "="'],
    ['a=b,', 4, 'expected a key or "!" after "," at position 4, found end of string'],
    ['a=b,,c', 4, 'expected a key or "!" after "," at position 4, found ","'],
    [',a', 0, 'expected a key or "!" at position 0, found ","'],
    ['!', 1, 'expected a key after "!" at position 1, found end of string'],
    ['!a=b', 2, 'expected "," or end of string after a requirement at position 2, found "="'],
    ['a > 1', 2, 'found ">"'],
    ['a < 1', 2, 'found "<"'],
    ['a ! b', 2, 'found "!"'],
    ['=a', 0, 'expected a key or "!" at position 0, found "="'],
  ])('rejects %j at position %i', (text, position, fragment) => {
    const err = parseError(text);
    expect(err.position).toBe(position);
    expect(err.message).toContain(fragment);
  });

  it('validates keys like k8s qualified names', () => {
    const bad = parseError('app~x=1');
    expect(bad.position).toBe(0);
    expect(bad.message).toMatch(
      /^unable to parse requirement: invalid label key "app~x" at position 0: name part must consist of alphanumeric characters/,
    );
    expect(parseError('x=1,-app=1').message).toContain('invalid label key "-app" at position 4');
    expect(parseError('app.=1').message).toContain('name part must consist of');
    expect(parseError(`${'a'.repeat(64)}=1`).message).toContain(
      'name part must be no more than 63 characters',
    );
    expect(parseError('/app=1').message).toContain('prefix part must be non-empty');
    expect(parseError('example.com/=1').message).toContain('name part must be non-empty');
    expect(parseError('Example.com/app=1').message).toContain('prefix part a lowercase RFC 1123 subdomain');
    expect(parseError(`${'a'.repeat(254)}/app=1`).message).toContain(
      'prefix part must be no more than 253 characters',
    );
    expect(parseError('a/b/c=1').message).toContain('a qualified name must consist of');
    expect(parseError('!-x').message).toContain('invalid label key "-x" at position 1');
  });

  it('validates values like k8s label values', () => {
    const err = parseError('app=web~1');
    expect(err.position).toBe(4);
    expect(err.message).toMatch(
      /invalid label value "web~1" for key "app" at position 4: a valid label must be an empty string/,
    );
    expect(parseError(`a=${'v'.repeat(64)}`).message).toContain('must be no more than 63 characters');
    expect(parseError('a in (ok,-bad)').message).toContain(
      'invalid label value "-bad" for key "a" at position 9',
    );
    expect(parseError('a=b/c').message).toContain('invalid label value "b/c"');
    expect(parseError('a=b.').message).toContain('invalid label value "b."');
  });
});

describe('matchesLabels', () => {
  const labels = { app: 'web', tier: 'frontend', 'app.kubernetes.io/name': 'kubegate', empty: '' };
  const matches = (selector: string, ls: Record<string, string> | undefined = labels) =>
    matchesLabels(parseLabelSelector(selector), ls);

  it('matches everything with the empty selector, even objects without labels', () => {
    expect(matches('')).toBe(true);
    expect(matches('', undefined)).toBe(true);
  });

  it('compares equality and inequality', () => {
    expect(matches('app=web')).toBe(true);
    expect(matches('app==web')).toBe(true);
    expect(matches('app=db')).toBe(false);
    expect(matches('app!=db')).toBe(true);
    expect(matches('app!=web')).toBe(false);
    expect(matches('app.kubernetes.io/name=kubegate')).toBe(true);
  });

  it('lets != and notin match objects without the key, as k8s does', () => {
    expect(matches('missing!=x')).toBe(true);
    expect(matches('missing notin (x)')).toBe(true);
    expect(matches('missing!=x', undefined)).toBe(true);
    expect(matches('missing=x')).toBe(false);
    expect(matches('missing in (x)')).toBe(false);
  });

  it('distinguishes an empty value from a missing key', () => {
    expect(matches('empty=')).toBe(true);
    expect(matches('missing=')).toBe(false);
    expect(matches('empty')).toBe(true);
    expect(matches('empty in (,x)')).toBe(true);
    expect(matches('empty!=')).toBe(false);
  });

  it('checks existence', () => {
    expect(matches('app')).toBe(true);
    expect(matches('!app')).toBe(false);
    expect(matches('missing')).toBe(false);
    expect(matches('!missing')).toBe(true);
  });

  it('checks set membership', () => {
    expect(matches('tier in (backend,frontend)')).toBe(true);
    expect(matches('tier in (backend)')).toBe(false);
    expect(matches('tier notin (backend)')).toBe(true);
    expect(matches('tier notin (frontend,backend)')).toBe(false);
  });

  it('requires every requirement (AND)', () => {
    expect(matches('app=web,tier=frontend,!legacy')).toBe(true);
    expect(matches('app=web,tier=backend')).toBe(false);
  });

  it('does not see inherited object properties as labels', () => {
    expect(matches('constructor', {})).toBe(false);
    expect(matches('!toString', {})).toBe(true);
  });
});

describe('formatRequirements', () => {
  it('prints the canonical form k8s prints: sorted by key, sets sorted', () => {
    expect(formatRequirements(parseLabelSelector('z=1,a in (c,b), !m, k, x!=2, y notin (q)'))).toBe(
      'a in (b,c),k,!m,x!=2,y notin (q),z=1',
    );
    expect(formatRequirements(parseLabelSelector('a=='))).toBe('a=');
    expect(formatRequirements([])).toBe('');
  });

  it('round-trips through the parser', () => {
    const text = 'app.kubernetes.io/name in (a,b),env!=prod,!gone,tier';
    expect(formatRequirements(parseLabelSelector(formatRequirements(parseLabelSelector(text))))).toBe(text);
  });
});

describe('fromLabelSelector', () => {
  it('converts matchLabels and matchExpressions', () => {
    expect(
      fromLabelSelector({
        matchLabels: { 'batch.kubernetes.io/controller-uid': '0b5d-42' },
        matchExpressions: [
          { key: 'env', operator: 'In', values: ['prod', 'dev', 'prod'] },
          { key: 'tier', operator: 'NotIn', values: ['db'] },
          { key: 'app', operator: 'Exists' },
          { key: 'legacy', operator: 'DoesNotExist', values: [] },
        ],
      }),
    ).toEqual([
      { key: 'batch.kubernetes.io/controller-uid', operator: '=', values: ['0b5d-42'] },
      { key: 'env', operator: 'in', values: ['dev', 'prod'] },
      { key: 'tier', operator: 'notin', values: ['db'] },
      { key: 'app', operator: 'exists', values: [] },
      { key: 'legacy', operator: '!', values: [] },
    ]);
    expect(fromLabelSelector({})).toEqual([]);
  });

  it('rejects what metav1.LabelSelectorAsSelector rejects', () => {
    expect(() =>
      fromLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] }),
    ).toThrow('"Gt" is not a valid label selector operator');
    expect(() => fromLabelSelector({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] })).toThrow(
      "values set can't be empty",
    );
    expect(() =>
      fromLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }),
    ).toThrow('values set must be empty');
    expect(() => fromLabelSelector({ matchLabels: { 'bad key': 'x' } })).toThrow(SelectorParseError);
    expect(() => fromLabelSelector({ matchLabels: { ok: 'bad value' } })).toThrow(
      'invalid label value "bad value"',
    );
  });
});
