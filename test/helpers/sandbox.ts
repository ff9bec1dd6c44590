import { afterAll, beforeAll } from '@jest/globals';
import { SFNClient, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { gameDayFleet } from '../../local/scenarios';
import type { Sandbox } from '../../local/sandbox/server';
import { type Simulation, type SimulationOptions, startSimulation } from '../../local/sim/simulation';

/**
 * One sandbox (game-day fleet, virtual time) for the calling test file, started before its tests
 * and stopped after. One per file: handler modules bind their SDK clients to the first endpoint
 * they see. The test is a process of the simulation: simulated time passes only while it waits
 * (`settle()`, `advance()`, `until()`), so what the tests see does not depend on machine load.
 */
export function useGameDaySandbox(
  options: Omit<SimulationOptions, 'fleet'> = {},
): (() => Sandbox) & { simulation: () => Simulation } {
  let simulation: Simulation | undefined;
  beforeAll(async () => {
    simulation = await startSimulation({ fleet: gameDayFleet, ...options });
  }, 30_000);
  afterAll(async () => {
    await simulation?.finish();
  });
  const started = (): Simulation => {
    if (!simulation) throw new Error('The sandbox is not started yet');
    return simulation;
  };
  return Object.assign(() => started().sandbox, { simulation: started });
}

/**
 * Lets the executions run to their end as an on-call engineer who approves every request as it
 * comes (through the Step Functions API, as the request's command would): manual executions of
 * anything but a scale-out wait for a human (policy safety.manualApprovalRequired).
 */
export async function settleApproving(simulation: Simulation, by = 'integration on-call'): Promise<void> {
  const { sandbox } = simulation;
  const asking = () =>
    [...sandbox.pendingTasks.entries()].filter(([, task]) => (task.payload as { phase?: string }).phase === undefined);
  const running = () => [...sandbox.executions.values()].some((e) => e.status === 'RUNNING');
  for (;;) {
    await simulation.until(() => !running() || asking().length > 0, 'every execution ends or asks a human', 4 * 3600);
    const requests = asking();
    if (requests.length === 0) return;
    for (const [taskToken] of requests)
      await new SFNClient({}).send(
        new SendTaskSuccessCommand({ taskToken, output: JSON.stringify({ approved: true, by }) }),
      );
  }
}
