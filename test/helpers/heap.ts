import v8 from 'node:v8';
import vm from 'node:vm';
import { expect } from 'vitest';

/**
 * Retained heap per object for `n` objects made by `make` (each kept alive), after full
 * GCs before and after: what a layout costs, for tests that hold one layout against another.
 */
export function heapPerObject(n: number, make: (i: number) => object): number {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  make(-1);
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  const kept: object[] = new Array(n);
  for (let i = 0; i < n; i++) kept[i] = make(i);
  gc();
  gc();
  const per = (process.memoryUsage().heapUsed - before) / n;
  expect(kept[n - 1]).toBeDefined(); // keeps them alive up to here
  return per - 8; // the array's slot
}
