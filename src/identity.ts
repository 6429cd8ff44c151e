/**
 * Numbers for object identities: `identityKeys()` returns a function that gives each
 * object a number of its own, the same one every time, without keeping the object alive
 * (a WeakMap). For keys of memos that must tell objects apart by identity, not by value
 * (principals, parsed documents). A leaf module, like errors.ts.
 */
export function identityKeys<T extends object>(): (object: T) => number {
  const keys = new WeakMap<T, number>();
  let count = 0;
  return (object) => {
    let key = keys.get(object);
    if (key === undefined) {
      count += 1;
      key = count;
      keys.set(object, key);
    }
    return key;
  };
}
