/**
 * The guard reads the kill switch at most once a minute per container (this cache time); every
 * mutating call reads it again, uncached, right before it is made. The fault sweep allows the
 * guard's cache time before a change counts as made under the switch.
 */
export const KILL_SWITCH_MAX_AGE_SECONDS = 60;

/** Values that leave the platform running; the parameter's default is `false`. */
const RUNNING = new Set(['false', '0', 'no', 'off', '']);

/**
 * Whether the parameter's value pauses the platform. Fails safe: `true`, `1`, `yes`, `on`, and any
 * value an operator may have mistyped pause it; only an explicit "off" value lets it act.
 */
export function isPausedValue(value: string | undefined): boolean {
  return !RUNNING.has((value ?? 'false').trim().toLowerCase());
}
