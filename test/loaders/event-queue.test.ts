import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.js';
import { EventQueue, SlowConsumerError } from '../../src/loaders/event-queue.js';

describe('EventQueue', () => {
  it('delivers in order to a waiting and to a late consumer', async () => {
    const q = new EventQueue<number>({ limit: 10 });
    const first = q.next();
    q.push(1);
    q.push(2);
    q.push(3);
    expect(await first).toEqual({ value: 1, done: false });
    expect(await q.next()).toEqual({ value: 2, done: false });
    expect(await q.next()).toEqual({ value: 3, done: false });
    q.end();
    expect(await q.next()).toEqual({ value: undefined, done: true });
  });

  it('cuts off a consumer that falls behind with one SLOW_CONSUMER error, then ends and unsubscribes', async () => {
    let closed = 0;
    const q = new EventQueue<number>({ limit: 3, onClose: () => closed++ });
    expect([q.push(1), q.push(2), q.push(3)]).toEqual([true, true, true]);
    expect(q.push(4)).toBe(false);
    expect(q.push(5)).toBe(false);
    expect(q.size).toBe(1);
    expect(closed).toBe(1);
    const { value } = await q.next();
    expect(value).toBeInstanceOf(SlowConsumerError);
    expect((value as SlowConsumerError).extensions.code).toBe(ErrorCode.SLOW_CONSUMER);
    expect(await q.next()).toEqual({ value: undefined, done: true });
  });

  it('reserve() lets a snapshot exceed the live bound', async () => {
    const q = new EventQueue<number>({ limit: 2 });
    q.reserve(5);
    for (let i = 0; i < 7; i++) expect(q.push(i)).toBe(true);
    expect(q.push(7)).toBe(false);
  });

  it('return() drops what is queued and calls onClose once', async () => {
    let closed = 0;
    const q = new EventQueue<number>({ limit: 5, onClose: () => closed++ });
    q.push(1);
    await q.return();
    await q.return();
    expect(closed).toBe(1);
    expect(q.push(2)).toBe(false);
    expect(await q.next()).toEqual({ value: undefined, done: true });
  });
});
