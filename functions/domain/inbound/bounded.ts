// Untrusted text cut to the caps of domain/incident.ts (TEXT_LIMITS) before it enters an execution.

/** What a cut value ends with, so a reader knows there was more. */
export const CUT_MARKER = '…[cut]';

/** The bytes a string adds to the execution state: its JSON form in UTF-8, without the quotes. */
export function stateBytes(text: string): number {
  return Buffer.byteLength(JSON.stringify(text), 'utf8') - 2;
}

// No character costs more than 6 bytes of JSON (\u0001): shorter text always fits.
const MAX_BYTES_PER_UNIT = 6;

/** `text` in at most `max` state bytes: as it is when it fits, else its start and CUT_MARKER. */
export function cut(text: string, max: number): string {
  if (text.length * MAX_BYTES_PER_UNIT <= max || stateBytes(text) <= max) return text;
  const room = max - stateBytes(CUT_MARKER);
  let used = 0;
  let end = 0;
  // By code point: a surrogate pair is never split into two lone halves.
  for (const char of text) {
    used += stateBytes(char);
    if (used > room) break;
    end += char.length;
  }
  return text.slice(0, end) + CUT_MARKER;
}

/** What one entry adds to a map's JSON besides its value: the key, four quotes, a colon and a comma. */
const entryBytes = (key: string) => stateBytes(key) + 6;

/**
 * A tag or dimension map in at most `total` state bytes: each value cut to `value` bytes, then the
 * longest values cut further, to one common length, until the map fits. Keys are never cut or
 * dropped (rules match on them, and a missing key satisfies `exists: false`): undefined when the
 * keys alone do not fit.
 */
export function boundedMap(
  map: Record<string, string>,
  limits: { value: number; total: number },
): Record<string, string> | undefined {
  const entries = Object.entries(map).map(([key, value]) => [key, cut(value, limits.value)] as const);
  const room = entries.reduce((left, [key]) => left - entryBytes(key), limits.total - 2);
  if (room < 0) return undefined;
  const sizes = entries.map(([, value]) => stateBytes(value)).sort((a, b) => a - b);
  // The common length: the largest each value may keep so that all of them fit in the room left.
  let level = limits.value;
  let left = room;
  for (const [i, size] of sizes.entries()) {
    const share = Math.floor(left / (sizes.length - i));
    if (size > share) {
      level = share;
      break;
    }
    left -= size;
  }
  const bounded = Object.fromEntries(entries.map(([key, value]) => [key, cut(value, level)]));
  // A value cut below the marker's own size still holds the marker: the measure has the last word.
  return Buffer.byteLength(JSON.stringify(bounded), 'utf8') <= limits.total ? bounded : undefined;
}
