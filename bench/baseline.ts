import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../local/template';

/** Committed minified bundle sizes (bytes); a bundle may not grow more than 10 % over them. */
export const BASELINE_PATH = join(ROOT, 'bench', 'bundle-baseline.json');
export const ALLOWED_GROWTH = 0.1;

export function bundleBaseline(): Record<string, number> {
  return JSON.parse(readFileSync(BASELINE_PATH, 'utf8')) as Record<string, number>;
}
