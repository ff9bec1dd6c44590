/** Deeper than any event AWS sends (alarm and deployment details nest a few levels). */
export const MAX_EVENT_DEPTH = 32;

/**
 * Whether a parsed JSON value nests deeper than `limit`. Iterative on purpose: a recursive walk
 * (JSON.stringify, zod) on an attacker's 100,000-level object overflows the stack, which is what
 * this check stands in front of.
 */
export function nestedDeeperThan(value: unknown, limit = MAX_EVENT_DEPTH): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (node === null || typeof node !== 'object') continue;
    if (depth >= limit) return true;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
}
