/**
 * Deep-freezing of values that several callers share (L1 entries, single-flight results), so one caller
 * cannot corrupt what the next one reads. `Object.freeze` does not stop `Map#set`, `Set#add` or
 * `Date#setTime` (they write internal slots), so those methods are shadowed by throwing own properties
 * before freezing. Typed arrays and Buffers cannot be frozen at all; a value containing one is reported as
 * not shareable, and the cache then hands out a fresh copy on every hit instead.
 */

const MAP_MUTATORS = ['set', 'delete', 'clear'] as const;
const SET_MUTATORS = ['add', 'delete', 'clear'] as const;
const DATE_MUTATORS = Object.getOwnPropertyNames(Date.prototype).filter((name) => name.startsWith('set'));

function rejectMutation(): never {
  throw new TypeError('Cannot mutate a cached value: it is shared and frozen; copy it first');
}

function shadow(target: object, methods: readonly string[]): void {
  for (const method of methods) {
    Object.defineProperty(target, method, { value: rejectMutation, enumerable: false });
  }
}

/**
 * Freezes `value` in place, recursively. Returns `false` when the value contains something that cannot be
 * frozen (ArrayBuffer, typed array, Buffer, DataView), in which case the caller must not share it.
 */
export function deepFreeze(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return true;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return false;
  let shareable = true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!deepFreeze(value[i])) shareable = false;
    }
  } else if (value instanceof Map) {
    for (const [k, v] of value) {
      if (!deepFreeze(k) || !deepFreeze(v)) shareable = false;
    }
    shadow(value, MAP_MUTATORS);
  } else if (value instanceof Set) {
    for (const v of value) {
      if (!deepFreeze(v)) shareable = false;
    }
    shadow(value, SET_MUTATORS);
  } else if (value instanceof Date) {
    shadow(value, DATE_MUTATORS);
  } else {
    for (const k in value) {
      if (!deepFreeze((value as Record<string, unknown>)[k])) shareable = false;
    }
  }
  Object.freeze(value);
  return shareable;
}
