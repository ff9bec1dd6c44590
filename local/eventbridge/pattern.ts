// EventBridge event-pattern matching, written to the documented semantics because no working
// matcher is on the registry (see TOOL-NOTES): exact values, prefix, suffix, equals-ignore-case,
// anything-but (value, list, prefix, suffix), numeric ranges, exists, wildcard, and $or.
// A pattern field holds either a nested pattern (object) or a list of matchers, any of which may
// match the event value (or any element when the value is an array).

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Matcher = Json;

function isObject(value: unknown): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function wildcardToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`, 's');
}

function numericMatch(spec: Json[], value: Json): boolean {
  if (typeof value !== 'number') return false;
  for (let i = 0; i + 1 < spec.length; i += 2) {
    const op = spec[i];
    const bound = spec[i + 1];
    if (typeof bound !== 'number') return false;
    const ok =
      op === '='
        ? value === bound
        : op === '<'
          ? value < bound
          : op === '<='
            ? value <= bound
            : op === '>'
              ? value > bound
              : op === '>='
                ? value >= bound
                : false;
    if (!ok) return false;
  }
  return true;
}

function stringTest(spec: Json, value: Json, test: (expected: string, actual: string) => boolean): boolean {
  if (typeof value !== 'string') return false;
  if (typeof spec === 'string') return test(spec, value);
  if (isObject(spec) && typeof spec['equals-ignore-case'] === 'string') {
    return test(spec['equals-ignore-case'].toLowerCase(), value.toLowerCase());
  }
  return false;
}

/** One matcher against one (present) scalar value. */
function matchOne(matcher: Matcher, value: Json): boolean {
  if (!isObject(matcher)) return matcher === value;
  if ('prefix' in matcher) return stringTest(matcher.prefix ?? null, value, (e, a) => a.startsWith(e));
  if ('suffix' in matcher) return stringTest(matcher.suffix ?? null, value, (e, a) => a.endsWith(e));
  if ('equals-ignore-case' in matcher) {
    return (
      typeof value === 'string' &&
      typeof matcher['equals-ignore-case'] === 'string' &&
      value.toLowerCase() === matcher['equals-ignore-case'].toLowerCase()
    );
  }
  if ('wildcard' in matcher)
    return (
      typeof value === 'string' &&
      typeof matcher.wildcard === 'string' &&
      wildcardToRegExp(matcher.wildcard).test(value)
    );
  if ('numeric' in matcher) return Array.isArray(matcher.numeric) && numericMatch(matcher.numeric, value);
  if ('anything-but' in matcher) {
    const but = matcher['anything-but'] ?? null;
    if (Array.isArray(but)) return !but.includes(value);
    if (isObject(but)) return !matchOne(but, value);
    return value !== but;
  }
  return false;
}

function matchField(matchers: Matcher[], present: boolean, value: Json | undefined): boolean {
  return matchers.some((matcher) => {
    if (isObject(matcher) && 'exists' in matcher) return matcher.exists === present;
    if (!present || value === undefined) return false;
    const values = Array.isArray(value) ? value : [value];
    return values.some((v) => matchOne(matcher, v));
  });
}

/** Does `event` match `pattern`? Every field of the pattern must match. */
export function matchesPattern(pattern: unknown, event: unknown): boolean {
  if (!isObject(pattern)) throw new Error('An event pattern must be a JSON object');
  const data = isObject(event) ? event : {};
  return Object.entries(pattern).every(([key, spec]) => {
    if (key === '$or') {
      if (!Array.isArray(spec)) throw new Error('$or takes a list of patterns');
      return spec.some((alternative) => matchesPattern(alternative, data));
    }
    const present = key in data;
    const value = data[key];
    if (isObject(spec)) return isObject(value) && matchesPattern(spec, value);
    if (!Array.isArray(spec)) throw new Error(`Pattern field "${key}" must be an object or a list of matchers`);
    return matchField(spec, present, value);
  });
}
