/** --shard and the file's `shard:`: parsed, validated with a clear ConfigError, the flag winning. */
import { describe, expect, it } from 'vitest';
import { ConfigError, parseCli, plan, validateConfigFile } from '../../src/config.js';

describe('shard configuration', () => {
  it("takes --shard i/n and the file's shard, the flag over the file", () => {
    expect(plan(parseCli(['--shard', '1/3'], {}), {}, {}).shard).toEqual({ index: 1, count: 3 });
    expect(plan(parseCli([], {}), validateConfigFile({ shard: '0/2' }, 'f.yaml'), {}).shard).toEqual({
      index: 0,
      count: 2,
    });
    expect(plan(parseCli(['--shard', '1/2'], {}), { shard: '0/2' }, {}).shard).toEqual({
      index: 1,
      count: 2,
    });
    expect(plan(parseCli([], {}), {}, {}).shard).toBeUndefined();
  });

  it('refuses a bad --shard naming the flag, what it expected and what came', () => {
    for (const bad of ['2/2', '0/0', 'x', '1/-2']) {
      expect(() => plan(parseCli(['--shard', bad], {}), {}, {})).toThrow(ConfigError);
      expect(() => plan(parseCli(['--shard', bad], {}), {}, {})).toThrow(
        `--shard: expected "i/n": this replica's shard i of n shards, integers with 0 ≤ i < n (e.g. "0/3"), received ${JSON.stringify(bad)}`,
      );
    }
  });

  it('refuses a bad shard in the file with its key path', () => {
    expect(() => validateConfigFile({ shard: '3/2' }, 'kubegate.yaml')).toThrow(
      /invalid configuration in kubegate.yaml:\n {2}shard: expected "i\/n": .* \(e\.g\. "0\/3"\); received "3\/2"/,
    );
    expect(() => validateConfigFile({ shard: 1 }, 'kubegate.yaml')).toThrow(/shard: .*received 1/);
  });
});
