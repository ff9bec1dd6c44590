import { afterAll, beforeAll } from '@jest/globals';
import { gameDayFleet } from '../../local/scenarios';
import { ScaledClock } from '../../local/sandbox/fleet';
import { Sandbox } from '../../local/sandbox/server';

/**
 * One sandbox (game-day fleet, 1000× time) for the calling test file, started before its tests and
 * stopped after. One per file: handler modules bind their SDK clients to the first endpoint they see.
 */
export function useGameDaySandbox(): () => Sandbox {
  let sandbox: Sandbox | undefined;
  beforeAll(async () => {
    sandbox = await Sandbox.start({ fleet: gameDayFleet(new ScaledClock(Date.now(), 1000)), speed: 1000 });
  }, 30_000);
  afterAll(async () => {
    await sandbox?.stop();
  });
  return () => {
    if (!sandbox) throw new Error('The sandbox is not started yet');
    return sandbox;
  };
}
