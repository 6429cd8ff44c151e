import { describe, expect, it } from 'vitest';
import { waitFor } from './wait.js';

describe('waitFor', () => {
  it('resolves to the first value that is not undefined, null or false', async () => {
    let n = 0;
    await expect(
      waitFor(() => (++n >= 3 ? { n } : undefined), { message: 'n', intervalMs: 1 }),
    ).resolves.toEqual({ n: 3 });
  });

  it('fails saying what it waited for and what it last saw', async () => {
    let n = 0;
    await expect(
      waitFor(() => ++n < 0, {
        message: 'the moon',
        timeoutMs: 30,
        intervalMs: 5,
        observe: () => `n=${n}`,
      }),
    ).rejects.toThrow(/^timed out after 30 ms waiting for the moon; last saw: false; n=\d+$/);
    await expect(
      waitFor(
        () => {
          throw new Error('not yet');
        },
        { message: 'a throwing check', timeoutMs: 10, intervalMs: 5 },
      ),
    ).rejects.toThrow('waiting for a throwing check; last saw: an error: not yet');
  });

  it('gives up at once when told the awaited thing can no longer happen', async () => {
    await expect(
      waitFor(() => false, { message: 'output', timeoutMs: 60_000, giveUpIf: () => 'the process exited 1' }),
    ).rejects.toThrow('gave up (the process exited 1) waiting for output');
  });
});
