import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { INDEX_LABEL, Indexer, labelIndexFunc } from '../../src/kube/indexer.js';
import {
  equalityPairs,
  formatLabelSelector,
  type LabelRequirement,
  LabelSelectorError,
  matchLabels,
  parseLabelSelector,
} from '../../src/kube/selector.js';

/** The LabelSelectorError that `text` raises; fails the test when it parses or throws something else. */
function rejection(text: string): LabelSelectorError {
  let thrown: unknown;
  try {
    parseLabelSelector(text);
  } catch (err) {
    thrown = err;
  }
  if (!(thrown instanceof LabelSelectorError)) {
    throw new Error(`expected ${JSON.stringify(text)} to be rejected, got ${String(thrown ?? 'a parse')}`);
  }
  return thrown;
}

const req = (key: string, operator: LabelRequirement['operator'], ...values: string[]): LabelRequirement => ({
  key,
  operator,
  values,
});

const NAME_63 = `n${'x'.repeat(61)}n`;
const PREFIX_253 = ['a'.repeat(63), 'b'.repeat(63), 'c'.repeat(63), 'd'.repeat(61)].join('.');

describe('parseLabelSelector: accepted syntax', () => {
  it.each<[string, LabelRequirement[]]>([
    ['', []],
    [' \t\r\n ', []],
    ['app', [req('app', 'Exists')]],
    ['!app', [req('app', 'DoesNotExist')]],
    ['! app', [req('app', 'DoesNotExist')]],
    ['app=web', [req('app', 'Equals', 'web')]],
    ['app==web', [req('app', 'Equals', 'web')]],
    ['app != web', [req('app', 'NotEquals', 'web')]],
    ['app=', [req('app', 'Equals', '')]],
    ['app==,tier', [req('app', 'Equals', ''), req('tier', 'Exists')]],
    ['app!=', [req('app', 'NotEquals', '')]],
    ['env in (prod,staging,prod)', [req('env', 'In', 'prod', 'staging')]],
    ['env notin (b, a)', [req('env', 'NotIn', 'a', 'b')]],
    ['env in(a)', [req('env', 'In', 'a')]],
    ['env in ()', [req('env', 'In', '')]],
    ['env notin ( , )', [req('env', 'NotIn', '')]],
    ['env in (a,)', [req('env', 'In', '', 'a')]],
    ['env in (,a)', [req('env', 'In', '', 'a')]],
    // The example in k8s's own Parse documentation.
    [
      'x in (foo,,baz),y,z notin ()',
      [req('x', 'In', '', 'baz', 'foo'), req('y', 'Exists'), req('z', 'NotIn', '')],
    ],
    // `in` and `notin` are operators only after a key.
    ['in', [req('in', 'Exists')]],
    ['!notin', [req('notin', 'DoesNotExist')]],
    ['notin=in', [req('notin', 'Equals', 'in')]],
    ['in in (in,notin)', [req('in', 'In', 'in', 'notin')]],
    ['app.kubernetes.io/name=kubegate', [req('app.kubernetes.io/name', 'Equals', 'kubegate')]],
    ['Ex_a.m-p1e=V_1.2-b', [req('Ex_a.m-p1e', 'Equals', 'V_1.2-b')]],
    ['a.b-c/9=0', [req('a.b-c/9', 'Equals', '0')]],
    [`${NAME_63}=${NAME_63}`, [req(NAME_63, 'Equals', NAME_63)]],
    ['b=1,a=2', [req('b', 'Equals', '1'), req('a', 'Equals', '2')]],
    [
      '\tapp\n=\rweb ,  !x,y in\t(\n1 ,2 )',
      [req('app', 'Equals', 'web'), req('x', 'DoesNotExist'), req('y', 'In', '1', '2')],
    ],
  ])('%j', (text, expected) => {
    expect(parseLabelSelector(text)).toEqual(expected);
  });

  it('takes a 253-character DNS prefix and no more', () => {
    expect(PREFIX_253).toHaveLength(253);
    expect(parseLabelSelector(`${PREFIX_253}/app`)).toEqual([req(`${PREFIX_253}/app`, 'Exists')]);
    expect(rejection(`x${PREFIX_253}/app`).found).toContain('254 characters, at most 253');
  });
});

describe('parseLabelSelector: rejected syntax', () => {
  it('says what it expected, what it found and where, with a caret under the spot', () => {
    const err = rejection('app in (a');
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('LabelSelectorError');
    expect(err).toMatchObject({
      selector: 'app in (a',
      position: 9,
      expected: '"," or ")"',
      found: 'end of input',
    });
    expect(err.message).toBe(
      'invalid label selector "app in (a" at position 9: expected "," or ")", found end of input\n' +
        '  app in (a\n' +
        '           ^',
    );
  });

  it.each<[string, number, string, string]>([
    [',', 0, 'a label key or "!"', '","'],
    [',a', 0, 'a label key or "!"', '","'],
    ['a,', 2, 'a label key or "!"', 'end of input'],
    ['a,,b', 2, 'a label key or "!"', '","'],
    ['!', 1, 'a label key after "!"', 'end of input'],
    ['!!a', 1, 'a label key after "!"', '"!"'],
    ['=a', 0, 'a label key or "!"', '"="'],
    ['(a)', 0, 'a label key or "!"', '"("'],
    ['a b', 2, '"=", "==", "!=", "in" or "notin"', '"b"'],
    ['app In (a)', 4, '"=", "==", "!=", "in" or "notin"', '"In"'],
    ['a (b)', 2, '"=", "==", "!=", "in" or "notin"', '"("'],
    ['a=b c', 4, '"," or end of input', '"c"'],
    ['a=b=c', 3, '"," or end of input', '"="'],
    ['a = = b', 4, 'a label value, "," or end of input', '"="'],
    ['a===b', 3, 'a label value, "," or end of input', '"="'],
    ['a=!b', 2, 'a label value, "," or end of input', '"!"'],
    ['a=(b)', 2, 'a label value, "," or end of input', '"("'],
    ['a in b', 5, '"(" after "in"', '"b"'],
    ['a notin', 7, '"(" after "notin"', 'end of input'],
    ['a in (b c)', 8, '"," or ")"', '"c"'],
    ['a in (b,', 8, 'a label value, "," or ")"', 'end of input'],
    ['a in ((b))', 6, 'a label value, "," or ")"', '"("'],
    ['a in (b)c', 8, '"," or end of input', '"c"'],
    ['a in (b),', 9, 'a label key or "!"', 'end of input'],
    ['!a=b', 2, '"," or end of input', '"=" ("!key" takes no operator or value)'],
    ['!a in (b)', 3, '"," or end of input', '"in" ("!key" takes no operator or value)'],
  ])('%j at %i', (text, position, expected, found) => {
    expect(rejection(text)).toMatchObject({ selector: text, position, expected, found });
  });

  it.each([
    ['a>1', 1, '">"'],
    ['a<1', 1, '"<"'],
    ['a > 1', 2, '">"'],
    ['a>=1', 1, '">"'],
    ['x=y, a<1', 6, '"<"'],
  ])('refuses the gt/lt comparison %j', (text, position, token) => {
    const err = rejection(text);
    expect(err.position).toBe(position);
    expect(err.found).toBe(`${token} (the "<" and ">" comparisons are not supported)`);
  });

  it.each([
    ['-app', 'the name must begin and end with a letter or digit'],
    ['app-', 'the name must begin and end with a letter or digit'],
    ['_app', 'the name must begin and end with a letter or digit'],
    ['a:b', 'the name may only hold letters, digits, "-", "_" and "."'],
    ['héllo', 'the name may only hold letters, digits, "-", "_" and "."'],
    ['a\u0000b', 'the name may only hold letters, digits, "-", "_" and "."'],
    [`${NAME_63}x`, 'the name is 64 characters, at most 63'],
    ['a/b/c', 'a key holds at most one "/"'],
    ['/app', 'the prefix before "/" is empty'],
    ['example.com/', 'the name after "/" is empty'],
    ['Example.com/app', 'the prefix may only hold lowercase letters, digits, "-" and "."'],
    ['ex_ample.com/app', 'the prefix may only hold lowercase letters, digits, "-" and "."'],
    [
      'example..com/app',
      'each dot-separated part of the prefix must begin and end with a lowercase letter or digit',
    ],
    [
      '-example.com/app',
      'each dot-separated part of the prefix must begin and end with a lowercase letter or digit',
    ],
    [
      'example.com./app',
      'each dot-separated part of the prefix must begin and end with a lowercase letter or digit',
    ],
  ])('refuses the key %j, saying why', (key, why) => {
    for (const text of [key, `${key}=v`, `ok, !${key}`]) {
      const err = rejection(text);
      expect(err.position).toBe(text.indexOf(key));
      expect(err.expected).toMatch(/^a label key \(/);
      expect(err.found).toBe(`${JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}…` : key)} (${why})`);
    }
  });

  it.each([
    ['-v', 'a value must begin and end with a letter or digit'],
    ['v.', 'a value must begin and end with a letter or digit'],
    ['a/b', 'a value may only hold letters, digits, "-", "_" and "."'],
    ['ü', 'a value may only hold letters, digits, "-", "_" and "."'],
    [`${NAME_63}x`, 'the value is 64 characters, at most 63'],
  ])('refuses the value %j, saying why', (value, why) => {
    for (const text of [`k=${value}`, `k != ${value}`, `k in (ok,${value})`, `k notin (${value},ok)`]) {
      const err = rejection(text);
      expect(err.position).toBe(text.indexOf(value));
      expect(err.expected).toMatch(/^a label value \(empty, or/);
      expect(err.found).toContain(why);
    }
  });

  it('keeps the caret under the spot in long selectors and across tabs and newlines', () => {
    const text = `${Array.from({ length: 40 }, (_, i) => `k${i}=v`).join(',')},\tbad key,${'z'.repeat(100)}`;
    const err = rejection(text);
    expect(err.position).toBe(text.indexOf('key'));
    const [shown, caret] = err.message.split('\n').slice(1);
    expect(shown.startsWith('  …')).toBe(true);
    expect(shown.endsWith('…')).toBe(true);
    expect(caret.trimEnd().endsWith('^')).toBe(true);
    expect(shown.slice(caret.indexOf('^'), caret.indexOf('^') + 3)).toBe('key');
    expect(shown).not.toMatch(/[\t\n]/);
  });
});

describe('matchLabels', () => {
  const labels = Object.freeze({ app: 'web', tier: '', 'example.com/zone': 'eu-1' });
  const matches = (selector: string, ls: Readonly<Record<string, string>> | undefined) =>
    matchLabels(parseLabelSelector(selector), ls);

  it.each<[string, boolean, boolean]>([
    // selector, matches `labels`, matches an object without labels
    ['', true, true],
    ['app', true, false],
    ['!app', false, true],
    ['app=web', true, false],
    ['app=db', false, false],
    ['app!=db', true, true],
    ['app!=web', false, true],
    ['app in (db,web)', true, false],
    ['app in (db)', false, false],
    ['app notin (db)', true, true],
    ['app notin (web,db)', false, true],
    ['tier', true, false],
    ['tier=', true, false],
    ['tier in ()', true, false],
    ['tier!=', false, true],
    ['tier notin (,x)', false, true],
    ['app=', false, false],
    ['example.com/zone=eu-1', true, false],
    ['app=web,tier,!missing', true, false],
    ['app=web,missing', false, false],
    ['missing!=x,!missing,missing notin (a)', true, true],
  ])('%j: %s, and %s without labels', (selector, withLabels, without) => {
    expect(matches(selector, labels)).toBe(withLabels);
    expect(matches(selector, undefined)).toBe(without);
    expect(matches(selector, {})).toBe(without);
  });

  it('looks only at own labels, not at what every object inherits', () => {
    expect(matches('constructor', {})).toBe(false);
    expect(matches('!toString', {})).toBe(true);
    expect(matches('constructor=x', { constructor: 'x' })).toBe(true);
  });

  it('treats hand-built requirements as parsed ones', () => {
    expect(matchLabels([req('app', 'In', 'web', 'db')], labels)).toBe(true);
    expect(matchLabels([req('app', 'NotIn')], labels)).toBe(true);
    expect(matchLabels([], undefined)).toBe(true);
  });
});

describe('equalityPairs', () => {
  it.each<[string, string[]]>([
    ['', []],
    ['a=1,b==2,c in (3),d in (4,5),e!=6,f,!g,h notin (7)', ['a=1', 'b=2', 'c=3']],
    ['a=', ['a=']],
    ['a in ()', ['a=']],
    ['a in (3,3)', ['a=3']],
    ['a=1,a in (1),b=2', ['a=1', 'b=2']],
    ['x.io/k=v', ['x.io/k=v']],
  ])('%j -> %j', (selector, pairs) => {
    expect(equalityPairs(parseLabelSelector(selector))).toEqual(pairs);
  });

  it('names INDEX_LABEL values, so any one pair finds every object the selector matches', () => {
    const store = new Indexer<V1Pod>({ [INDEX_LABEL]: labelIndexFunc });
    const labelSets: Record<string, string>[] = [
      { app: 'web', tier: '' },
      { app: 'web', tier: 'front', 'x.io/k': 'v' },
      { app: 'db', tier: '' },
      { tier: 'front' },
      {},
    ];
    labelSets.forEach((ls, i) => {
      store.add({ metadata: { namespace: 'ns', name: `p${i}`, labels: ls } });
    });
    store.add({ metadata: { namespace: 'ns', name: 'unlabelled' } });
    const selectors = [
      'app=web',
      'app=web,tier=',
      'tier in (front),x.io/k=v',
      'app in (db),tier!=front',
      'tier=front,!app',
    ];
    for (const selector of selectors) {
      const reqs = parseLabelSelector(selector);
      const expected = store.list().filter((p) => matchLabels(reqs, p.metadata?.labels));
      expect(expected.length, selector).toBeGreaterThan(0);
      const pairs = equalityPairs(reqs);
      expect(pairs.length, selector).toBeGreaterThan(0);
      for (const pair of pairs) {
        const viaIndex = store
          .byIndex(INDEX_LABEL, pair)
          .filter((p) => matchLabels(reqs, p.metadata?.labels));
        expect(viaIndex, `${selector} via ${pair}`).toEqual(expect.arrayContaining(expected));
        expect(viaIndex).toHaveLength(expected.length);
      }
    }
  });
});

describe('formatLabelSelector', () => {
  it.each<[string, string]>([
    ['', ''],
    ['z=1, a in (c,b,c), !m, k, x notin (), e!=', 'a in (b,c),e!=,k,!m,x notin (),z=1'],
    ['app==web', 'app=web'],
    ['x in (foo,,baz)', 'x in (,baz,foo)'],
    ['b!=2,a=1,b=1', 'a=1,b!=2,b=1'],
  ])('%j -> %j', (selector, canonical) => {
    expect(formatLabelSelector(parseLabelSelector(selector))).toBe(canonical);
  });

  it('prints text that parses back to the same requirements, sorted by key', () => {
    const reqs = parseLabelSelector('tier in (,b,a),!z,app,c!=,in in (in),d=x.y');
    const again = parseLabelSelector(formatLabelSelector(reqs));
    expect(again).toEqual([...reqs].sort((a, b) => a.key.localeCompare(b.key)));
    expect(formatLabelSelector(again)).toBe(formatLabelSelector(reqs));
  });

  it('canonicalises hand-built requirements and refuses ones no selector text could mean', () => {
    expect(formatLabelSelector([req('a', 'In', 'y', 'x', 'y')])).toBe('a in (x,y)');
    for (const bad of [
      req('a', 'In'),
      req('a', 'NotIn'),
      req('a', 'Equals'),
      req('a', 'NotEquals', 'x', 'y'),
      req('a', 'Exists', 'x'),
      req('a b', 'Exists'),
      req('a', 'Equals', 'x,y'),
      req('a', 'In', 'x)'),
    ]) {
      expect(() => formatLabelSelector([bad]), JSON.stringify(bad)).toThrow(RangeError);
    }
  });
});
