/**
 * The retention log's bounds and its notion of completeness: what a resume from a given
 * resourceVersion may be told, on a fake clock (pure module: its behaviour through the
 * gateway is test/subscriptions/resume.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { EventLog, parseResourceVersion } from '../../src/kube/event-log.js';
import { FakeClock } from '../helpers/fake-clock.js';

const pod = (name: string, rv: string) =>
  ({ metadata: { name, namespace: 'ns', resourceVersion: rv } }) as never;

function logOf(options: { retentionMs?: number; maxEvents?: number } = {}) {
  const clock = new FakeClock(0);
  const log = new EventLog<'Pod'>({ clock, ...options });
  return {
    clock,
    log,
    add: (rv: number) => log.append('MODIFIED', pod(`p${rv}`, String(rv)), undefined, String(rv)),
  };
}

const rvs = (answer: ReturnType<EventLog['since']>) =>
  answer.ok ? answer.events.map((e) => e.resourceVersion) : answer;

describe('EventLog', () => {
  it('is complete from the list resourceVersion on: later events are replayed, earlier ones are expired', () => {
    const { log, add } = logOf();
    expect(log.since('5')).toEqual({ ok: false, reason: 'expired', oldest: undefined }); // before any list
    log.reset('10');
    for (const rv of [12, 15, 20]) add(rv);
    expect(rvs(log.since('10'))).toEqual(['12', '15', '20']);
    expect(rvs(log.since('13'))).toEqual(['15', '20']);
    expect(rvs(log.since('20'))).toEqual([]);
    expect(log.since('9')).toEqual({ ok: false, reason: 'expired', oldest: '10' });
  });

  it('moves completeness to each entry that ages out, by time or by count', () => {
    const { log, add, clock } = logOf({ retentionMs: 1000, maxEvents: 3 });
    log.reset('1');
    add(2);
    clock.advance(600);
    add(3);
    add(4);
    add(5); // over the count: 2 goes
    expect(log.completeFrom).toBe('2');
    expect(log.since('1')).toMatchObject({ ok: false, oldest: '2' });
    expect(rvs(log.since('2'))).toEqual(['3', '4', '5']);
    clock.advance(400); // 3, 4 and 5 are 400 ms old: kept
    expect(log.size).toBe(3);
    clock.advance(600); // now 1000 ms old: gone, and nothing was missed after 5
    expect(log.size).toBe(0);
    expect(log.completeFrom).toBe('5');
    expect(rvs(log.since('5'))).toEqual([]);
    expect(log.since('4')).toMatchObject({ ok: false, reason: 'expired', oldest: '5' });
  });

  it('forgets everything at a relist', () => {
    const { log, add } = logOf();
    log.reset('1');
    add(2);
    add(3);
    log.reset('40');
    expect(log.since('2')).toMatchObject({ ok: false, reason: 'expired', oldest: '40' });
    add(41);
    expect(rvs(log.since('40'))).toEqual(['41']);
  });

  it('answers invalid for what is not an unsigned integer, and stops resuming after a resourceVersion it cannot place', () => {
    const { log, add } = logOf();
    log.reset('7');
    for (const text of ['abc', '', '-1', '1.5', '0x10', '00', ' 8', '1'.repeat(30)])
      expect(log.since(text), text).toMatchObject({ ok: false, reason: 'invalid' });
    add(8);
    log.append('MODIFIED', pod('odd', 'v9'), undefined, 'v9');
    expect(log.since('8')).toMatchObject({ ok: false, reason: 'expired', oldest: undefined });
    log.reset('20');
    add(21);
    add(21); // out of order too
    expect(log.since('20')).toMatchObject({ ok: false, oldest: undefined });
  });

  it('compares resourceVersions as integers, beyond 2^53', () => {
    expect(parseResourceVersion('9007199254740993')).toBe(9007199254740993n);
    const { log } = logOf();
    log.reset('9007199254740992');
    log.append('ADDED', pod('big', '9007199254740993'), undefined, '9007199254740993');
    expect(rvs(log.since('9007199254740992'))).toEqual(['9007199254740993']);
  });
});
