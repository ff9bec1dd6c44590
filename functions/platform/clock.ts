/**
 * The handlers' one source of "now". On Lambda it is the system clock; the local runtime
 * points it at its simulated clock so a drill's minutes pass in milliseconds and every
 * timestamp (and TimeToRemediate / TimeToRecover) stays on one time line.
 */
type Now = () => Date;

/**
 * Where the local runtime installs its simulated clock. A process-wide symbol, not a module
 * variable: when it runs the built bundles, each carries its own copy of this module. Nothing
 * sets it on Lambda.
 */
export const SIMULATED_CLOCK = Symbol.for('self-healing.simulated-clock');

export const clock = {
  now: (): Date => (globalThis as { [SIMULATED_CLOCK]?: Now })[SIMULATED_CLOCK]?.() ?? new Date(),
};

/** Points every handler in this process, source or bundle, at a simulated clock (undefined: the real one). */
export function useSimulatedClock(now: Now | undefined): void {
  const slot = globalThis as { [SIMULATED_CLOCK]?: Now };
  if (now) slot[SIMULATED_CLOCK] = now;
  else delete slot[SIMULATED_CLOCK];
}
