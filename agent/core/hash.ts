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

const FNV128_OFFSET = 0x6c62272e07bb014262b821756295c58dn;
const FNV128_PRIME = 0x0000000001000000000000000000013bn;
const MASK128 = (1n << 128n) - 1n;

/** hash/fnv New128a over the parts written one after another; 32 hex characters (Sum's big-endian bytes). */
export function fnv128aHex(...parts: readonly string[]): string {
  let h = FNV128_OFFSET;
  const enc = new TextEncoder();
  for (const part of parts) {
    for (const b of enc.encode(part)) {
      h ^= BigInt(b);
      h = (h * FNV128_PRIME) & MASK128;
    }
  }
  return h.toString(16).padStart(32, '0');
}
