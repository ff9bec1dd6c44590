/**
 * The handlers' one source of "now". On Lambda it is the system clock; the local runtime
 * points it at its simulated clock so a drill's minutes pass in milliseconds and every
 * timestamp (and TimeToRemediate / TimeToRecover) stays on one time line.
 */
export const clock = {
  now: (): Date => new Date(),
};
