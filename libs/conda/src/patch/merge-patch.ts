function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Sets an own property even for keys like "__proto__" (JSON input can carry any key). */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A deep copy of JSON data, with `null` members of objects left out (they mean "delete"). */
function copyWithoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copyJson);
  if (!isPlainObject(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) {
    if (member !== null) setOwn(copy, key, copyWithoutNulls(member));
  }
  return copy;
}

/** A deep copy of JSON data, so patched records never share lists or objects with the patch. */
export function copyJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copyJson);
  if (!isPlainObject(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) setOwn(copy, key, copyJson(member));
  return copy;
}

/**
 * Merges `patch` into `target` in place, as conda-index's `merge_or_update_dict(merge=False)`:
 * objects merge recursively, lists and scalars replace, `null` deletes the key, keys the target
 * lacks are added. Two deliberate differences: `null` for a key the target lacks adds nothing
 * (conda-index would write `"key": null`, which rattler rejects for some fields), and values are
 * copied, never shared.
 */
export function mergePatch(target: Record<string, unknown>, patch: Readonly<Record<string, unknown>>): void {
  for (const [key, value] of Object.entries(patch)) {
    const current = Object.hasOwn(target, key) ? target[key] : undefined;
    if (value === null) {
      delete target[key];
    } else if (isPlainObject(value) && isPlainObject(current)) {
      mergePatch(current, value);
    } else {
      setOwn(target, key, copyWithoutNulls(value));
    }
  }
}
