// One way to start a run of the local runtime on virtual time, shared by the one-shot tools
// (execute, invoke, storm) and the tests: a virtual clock, the process's Date on it, the seeded
// generator reseeded, the caller registered as a process, and a sandbox whose fleet reads the clock.
import type { Fleet } from '../sandbox/fleet';
import { Sandbox, type SandboxOptions } from '../sandbox/server';
import { reseed } from './random';
import { SIMULATION_START, VirtualClock, installVirtualTime } from './virtual-clock';

export interface Simulation {
  clock: VirtualClock;
  sandbox: Sandbox;
  /** The caller lets `seconds` of simulated time pass (executions run meanwhile). */
  advance(seconds: number): Promise<void>;
  /** Lets simulated time pass in 100 ms steps until `predicate` holds; throws after `limitSeconds`. */
  until(predicate: () => boolean, what: string, limitSeconds?: number): Promise<void>;
  /** Awaits something the simulation settles (an execution's end) without blocking simulated time. */
  await<T>(promise: Promise<T>): Promise<T>;
  /** Stops the clock and the sandbox and puts the real Date back. */
  finish(): Promise<void>;
}

export interface SimulationOptions extends Omit<SandboxOptions, 'fleet' | 'speed'> {
  fleet: (clock: VirtualClock) => Fleet;
  /** Simulated start time (ms since the epoch); fixed by default so a seed replays byte for byte. */
  start?: number;
}

const STEP_MS = 100;

export async function startSimulation(options: SimulationOptions): Promise<Simulation> {
  const { fleet: makeFleet, start, ...sandboxOptions } = options;
  const seed = options.seed ?? 1;
  const clock = new VirtualClock(start ?? SIMULATION_START);
  const restoreTime = installVirtualTime(clock);
  reseed(seed);
  // The caller is a process of the simulation: time passes only while it (and everything else) waits.
  clock.enter();
  let sandbox: Sandbox;
  try {
    sandbox = await Sandbox.start({ ...sandboxOptions, seed, fleet: makeFleet(clock) });
  } catch (error) {
    // Nothing started: put the real Date back, so the caller's error is reported in real time.
    clock.stop();
    restoreTime();
    throw error;
  }
  return {
    clock,
    sandbox,
    advance: (seconds) => clock.sleep(seconds * 1000, '~harness'),
    async until(predicate, what, limitSeconds = 3600) {
      for (let waited = 0; !predicate(); waited += STEP_MS) {
        if (waited >= limitSeconds * 1000) throw new Error(`Not within ${limitSeconds} simulated s: ${what}`);
        await clock.sleep(STEP_MS, '~harness');
      }
    },
    await: (promise) => clock.waitFor(promise),
    async finish() {
      clock.stop();
      await sandbox.stop();
      restoreTime();
    },
  };
}
