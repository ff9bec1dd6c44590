import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { callAws } from './aws-errors';
import { ssm } from './clients/ssm';
import { isPausedValue } from '../domain/kill-switch';

// Read with the SSM client and callAws (not Powertools' getParameter, whose GetParameterError hides
// the SDK error): a throttled or failed read is a named error that the state machine retries.
let cached: { name: string; paused: boolean; readAt: number } | undefined;

/**
 * Whether the kill switch is on. `maxAgeSeconds` 0 (the default) reads it now, as every mutating
 * call does right before it is made; the guard accepts a reading up to a minute old.
 */
export async function killSwitchOn(parameterName: string, now: Date, maxAgeSeconds = 0): Promise<boolean> {
  if (cached?.name === parameterName && now.getTime() - cached.readAt < maxAgeSeconds * 1000) return cached.paused;
  const out = await callAws('SSM.GetParameter', () => ssm.send(new GetParameterCommand({ Name: parameterName })));
  cached = { name: parameterName, paused: isPausedValue(out.Parameter?.Value), readAt: now.getTime() };
  return cached.paused;
}

/** Forgets the cached reading (tests, which flip the switch between invocations of one container). */
export function forgetKillSwitch(): void {
  cached = undefined;
}
