// Hand-written rather than a template engine: we need exactly "{{dotted.path}}" lookups that
// fail loudly on a missing value (mustache-style engines render an empty string instead,
// which would send an empty ASG name to AWS).

const PLACEHOLDER = /\{\{\s*([^{}\s]+)\s*\}\}/g;

export class UnresolvedTemplateError extends Error {
  constructor(readonly paths: string[]) {
    super(`no value for ${paths.map((p) => `{{${p}}}`).join(', ')}`);
    this.name = 'UnresolvedTemplateError';
  }
}

function lookup(context: unknown, path: string): string | undefined {
  let current: unknown = context;
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  if (typeof current === 'string' && current !== '') return current;
  if (typeof current === 'number' || typeof current === 'boolean') return String(current);
  return undefined;
}

/** Written by the policy (or the stack): no placeholder fills it from the incident, whose text an alarm's owner controls. */
export function policyWritten(template: string): boolean {
  return [...template.matchAll(PLACEHOLDER)].every((m) => (m[1] ?? '').startsWith('platform.'));
}

/** Resolves every placeholder in one string; collects every missing path before failing. */
export function renderTemplate(template: string, context: unknown): string {
  const missing: string[] = [];
  const rendered = template.replace(PLACEHOLDER, (_match, path: string) => {
    const value = lookup(context, path);
    if (value === undefined) missing.push(path);
    return value ?? '';
  });
  if (missing.length > 0) throw new UnresolvedTemplateError(missing);
  return rendered;
}

/** Resolves placeholders in every string of a JSON-like value (objects, arrays, strings). */
export function renderDeep<T>(value: T, context: unknown): T {
  const missing: string[] = [];
  const walk = (node: unknown): unknown => {
    if (typeof node === 'string') {
      try {
        return renderTemplate(node, context);
      } catch (error) {
        if (error instanceof UnresolvedTemplateError) missing.push(...error.paths);
        return node;
      }
    }
    if (Array.isArray(node)) return node.map(walk);
    if (node !== null && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v)]));
    }
    return node;
  };
  const rendered = walk(value) as T;
  if (missing.length > 0) throw new UnresolvedTemplateError([...new Set(missing)]);
  return rendered;
}

/**
 * The placeholders a rule may use: what an incident carries and what the stack provides. A typo
 * (`{{target.autoscalingGroupName}}`) fails the policy at load instead of the incident at 3 a.m.
 */
const KNOWN_PLACEHOLDERS: RegExp[] = [
  /^(id|source|summary|account|region|receivedAt|detectedAt)$/,
  /^target\.(autoScalingGroupName|instanceId|codedeploy\.(application|deploymentGroup|deploymentId))$/,
  /^alarm\.(name|arn|type|state|previousState|reason|stateChangeTime|namespace|metricName|alarmRule)$/,
  /^alarm\.(dimensions|tags)\.[^.]+$/,
  /^event\.(id|source|detailType|state)$/,
  /^platform\.restartServiceDocument$/,
];

/** Every `{{path}}` in a JSON-like value that no incident or stack can provide. */
export function unknownPlaceholders(value: unknown): string[] {
  const found: string[] = [];
  const walk = (node: unknown): void => {
    if (typeof node === 'string') for (const m of node.matchAll(PLACEHOLDER)) found.push(m[1] ?? '');
    else if (Array.isArray(node)) node.forEach(walk);
    else if (node !== null && typeof node === 'object') Object.values(node).forEach(walk);
  };
  walk(value);
  return [...new Set(found)].filter((path) => !KNOWN_PLACEHOLDERS.some((known) => known.test(path)));
}
