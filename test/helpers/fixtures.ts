import { fileURLToPath } from 'node:url';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const EVENTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'events');

/** A fixture from events/, the same file `sam local invoke -e` uses. */
export function loadEvent<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(join(EVENTS_DIR, name.endsWith('.json') ? name : `${name}.json`), 'utf8')) as T;
}

export function eventFiles(): string[] {
  return readdirSync(EVENTS_DIR).filter((f) => f.endsWith('.json'));
}
