/**
 * The kill switch is read at most once a minute per container: flipping it takes effect within
 * 60 s. The guard reads it with this cache time; the fault sweep allows it before a change counts
 * as made under the switch.
 */
export const KILL_SWITCH_MAX_AGE_SECONDS = 60;

/** The parameter's value pauses the platform when it is exactly `true` (any case, trimmed). */
export function isPausedValue(value: string | undefined): boolean {
  return value?.trim().toLowerCase() === 'true';
}
