// Environment is read once at module load; a missing variable fails fast with its name.
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value.trim() === '') {
    throw new Error(`Missing required environment variable ${name}`);
  }
  return value;
}

export function booleanEnv(name: string, fallback = false): boolean {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  return /^(true|1|yes)$/i.test(value.trim());
}

export function stringEnv(name: string, fallback: string): string {
  const value = process.env[name];
  return value === undefined || value === '' ? fallback : value;
}

/**
 * The stack's DryRun parameter (the DRY_RUN variable every function gets): the one place it is
 * read. Read at each call, so a process that sets the environment after loading (the local
 * sandbox) sees what it set.
 */
export const stackDryRun = (): boolean => booleanEnv('DRY_RUN');

export function numberEnv(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value.trim() === '') return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw new Error(`Environment variable ${name} is not a number: ${value}`);
  return parsed;
}
