/**
 * Deep-freezing for snapshots. `Object.freeze` does not stop `Map.set` or `Set.add`, so frozen maps and
 * sets also get their mutators replaced by functions that throw.
 *
 * RegExps are left unfrozen on purpose: `String.prototype.replace` with a global regex writes
 * `lastIndex`, which throws on a frozen RegExp. Their pattern and flags are immutable anyway. (The
 * snapshot's own regexes are `Re2Regex`es, whose engine sits in a private field the freeze cannot reach.)
 * Buffers (a direct response's body) are left unfrozen too: `Object.freeze` throws on a typed array
 * with elements; nothing writes to them.
 */

const MAP_MUTATORS = ['set', 'delete', 'clear'] as const;
const SET_MUTATORS = ['add', 'delete', 'clear'] as const;

function refuse(): never {
  throw new TypeError('snapshot is frozen');
}

/** Freezes `value` and everything reachable from it (objects, arrays, Map and Set contents). */
export function deepFreeze<T>(value: T): T {
  freezeInto(value, new WeakSet());
  return value;
}

function freezeInto(value: unknown, seen: WeakSet<object>): void {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return;
  const obj = value as object;
  if (seen.has(obj) || obj instanceof RegExp || ArrayBuffer.isView(obj)) return;
  seen.add(obj);
  if (obj instanceof Map) {
    for (const [k, v] of obj) {
      freezeInto(k, seen);
      freezeInto(v, seen);
    }
    for (const m of MAP_MUTATORS) Object.defineProperty(obj, m, { value: refuse, enumerable: false });
  } else if (obj instanceof Set) {
    for (const v of obj) freezeInto(v, seen);
    for (const m of SET_MUTATORS) Object.defineProperty(obj, m, { value: refuse, enumerable: false });
  }
  for (const key of Reflect.ownKeys(obj)) {
    const descriptor = Object.getOwnPropertyDescriptor(obj, key);
    if (descriptor !== undefined && 'value' in descriptor) freezeInto(descriptor.value, seen);
  }
  Object.freeze(obj);
}
