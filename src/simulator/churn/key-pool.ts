import { type RandomFn, randomInt } from '../scenario/index.js';

/** Keys with O(1) add, delete and uniform pick: how the churn picks a pod or job of a kind. */
export class KeyPool {
  private readonly keys: string[] = [];
  private readonly index = new Map<string, number>();

  get size(): number {
    return this.keys.length;
  }

  add(key: string): void {
    if (this.index.has(key)) return;
    this.index.set(key, this.keys.length);
    this.keys.push(key);
  }

  delete(key: string): void {
    const i = this.index.get(key);
    if (i === undefined) return;
    const last = this.keys.pop()!;
    if (last !== key) {
      this.keys[i] = last;
      this.index.set(last, i);
    }
    this.index.delete(key);
  }

  pick(random: RandomFn): string | undefined {
    return this.keys.length > 0 ? this.keys[randomInt(random, this.keys.length)] : undefined;
  }
}

/** A store key ("namespace/name") as its two parts. */
export function splitKey(key: string): [string, string] {
  const slash = key.indexOf('/');
  return [key.slice(0, slash), key.slice(slash + 1)];
}
