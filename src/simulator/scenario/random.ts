/**
 * Randomness and time for the scenario: a seedable PRNG and the identifiers, names and
 * timestamps drawn from it, so that the same seed gives the same cluster, uids included.
 */

export type RandomFn = () => number;

/** mulberry32: a tiny, fast, seedable PRNG (32-bit state), good enough for test data. */
export function mulberry32(seed: number): RandomFn {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomInt(random: RandomFn, n: number): number {
  return Math.floor(random() * n);
}

export function pick<T>(random: RandomFn, items: readonly T[]): T {
  return items[randomInt(random, items.length)];
}

/** The alphabet Kubernetes uses for generated name suffixes (no vowels, no look-alikes). */
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const HEX_CODES = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
const scratch = new Uint16Array(128);

/**
 * Random identifiers are built from char codes in one go: a string grown piece by piece
 * is a rope in V8 and costs four times the memory of a flat one, which adds up at 100k pods.
 */
function flatString(length: number): string {
  return String.fromCharCode.apply(null, scratch.subarray(0, length) as unknown as number[]);
}

function writeHex(random: RandomFn, at: number, length: number): void {
  for (let i = 0; i < length; i += 8) {
    let n = (random() * 0x100000000) >>> 0;
    for (let k = Math.min(7, length - i - 1); k >= 0; k--) {
      scratch[at + i + k] = HEX_CODES[n & 15];
      n >>>= 4;
    }
  }
}

export function randomSuffix(random: RandomFn, length = 5): string {
  for (let i = 0; i < length; i++)
    scratch[i] = SAFE_ALPHABET.charCodeAt(randomInt(random, SAFE_ALPHABET.length));
  return flatString(length);
}

/** `length` random hex digits after an optional prefix (at most 64 characters in all). */
export function randomHex(random: RandomFn, length: number, prefix = ''): string {
  for (let i = 0; i < prefix.length; i++) scratch[i] = prefix.charCodeAt(i);
  writeHex(random, prefix.length, length);
  return flatString(prefix.length + length);
}

const DASH = '-'.charCodeAt(0);

/** A version-4-shaped UUID drawn from the PRNG, so uids are deterministic too. */
export function randomUid(random: RandomFn): string {
  writeHex(random, 0, 36);
  for (const at of [8, 13, 18, 23]) scratch[at] = DASH;
  scratch[14] = '4'.charCodeAt(0);
  scratch[19] = '89ab'.charCodeAt(randomInt(random, 4));
  return flatString(36);
}

/** RFC 3339 with second precision, as Kubernetes writes metav1.Time. */
export function isoTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  for (let i = 0; i < 19; i++) scratch[i] = iso.charCodeAt(i);
  scratch[19] = 90; // 'Z'
  return flatString(20);
}

/** metav1.MicroTime, as events.k8s.io writes eventTime. */
export function microTime(ms: number, random: RandomFn): string {
  return `${new Date(ms).toISOString().slice(0, 19)}.${String(randomInt(random, 1_000_000)).padStart(6, '0')}Z`;
}

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
