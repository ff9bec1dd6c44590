import { afterAll, beforeAll } from '@jest/globals';
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
