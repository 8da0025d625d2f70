// Canonical JSON and hashing: the same object always hashes the same, whatever key order
// its YAML used.
import { createHash } from 'node:crypto';

/** JSON with object keys sorted recursively; `undefined` members are dropped as JSON does. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const member = (value as Record<string, unknown>)[key];
      if (member !== undefined) out[key] = sortKeys(member);
    }
    return out;
  }
  return value;
}

export function sha256Hex(...parts: readonly string[]): string {
  const h = createHash('sha256');
  for (const p of parts) {
    h.update(p);
    h.update('\0');
  }
  return h.digest('hex');
}

/** Short, stable hash of any JSON value (hex, 16 chars by default). */
export function hashObject(value: unknown, length = 16): string {
  return sha256Hex(canonicalJson(value)).slice(0, length);
}
