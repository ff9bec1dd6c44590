import { describe, expect, it } from '@jest/globals';
import { runScript } from '../helpers/cli';
import { parseSeeds, sweep } from '../../local/simulate';

// The fault sweep CI runs: one generated game day per seed (scenarios, throttling, 5xx, changes whose
// answer is lost, duplicate, late and shuffled deliveries, the kill switch flipped, approvals late,
// never or rejected, hand re-runs, and the hostile worlds: groups above the cap or their MaxSize, a
// whole group stopped, people deploying or changing capacity during an approval wait, an alarm gone
// INSUFFICIENT_DATA, custom-namespace alarms naming managed targets, the budget starved, changes by
// hand, oversized text), the safety invariants checked after each (local/sim/invariants.ts).
// A failing seed prints the command that reproduces it: npm start -- --chaos --seed N.
// Issue 26 asks CI for at least 40 seeds within a 15-minute suite on 2 cores: about 4.5 minutes here
// on an idle 2-core machine; npm run simulate -- --seeds 1..1000 is the release sweep.
const CI_SEEDS = '1..40';

describe('the fault sweep', () => {
  it(`breaks no safety invariant on seeds ${CI_SEEDS}`, async () => {
    const results = await sweep(parseSeeds(CI_SEEDS), 2);
    const failures = results
      .filter((r) => !r.passed)
      .map((r) => ({
        seed: r.seed,
        reproduce: `npm start -- --chaos --seed ${r.seed}`,
        violations: r.violations,
        error: r.error,
      }));

    expect(results).toHaveLength(40);
    expect(failures).toEqual([]);
    // About 4.5 minutes on an idle 2-core machine (npm run simulate prints it); the time limit only
    // catches a hang, so that a loaded machine gives the same answer, later.
  }, 1_800_000);

  // Seed 4 found it: a CreateDeployment whose answer was lost was sent again by the SDK's own retry,
  // and the rollback deployed twice. Seed 4's game day has hostile worlds since issue 26; seed 615
  // tells the same story without them (cpu-regression's rollback, CreateDeployment answers lost 60 %
  // of the time): the same lost answer, and one deployment.
  it('replays seed 615 exactly: the lost CreateDeployment answer, and one rollback deployment', async () => {
    const { code, stdout } = await runScript('local/drill.ts', ['--chaos', '--seed', '615', '--json'], {
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    });
    const report = JSON.parse(stdout) as {
      passed: boolean;
      invariants: { violations: unknown[] };
      callLog: { operation: string; outcome: string }[];
    };
    const creates = report.callLog.filter((c) => c.operation === 'CodeDeploy.CreateDeployment');

    expect(code).toBe(0);
    expect(creates.map((c) => c.outcome)).toEqual(['InternalFailure']);
    expect(report.invariants.violations).toEqual([]);
  }, 60_000);

  // Seed 92 found a hole (issue 17, item 2): the kill switch was set while a rollback waited for
  // approval, and the rollback was still made, because the switch was read only at the guard. Every
  // mutating call now reads it again right before it: the rollback is held back (Paused). Seed 92
  // has hostile worlds since issue 26; seed 2840 tells the story alone: web-app's rollback waits
  // for approval from T+4, the switch goes on at T+6 (and stays on), the answer comes at T+49.
  it('replays seed 2840: the kill switch set during an approval wait holds the rollback back', async () => {
    const { code, stdout } = await runScript('local/drill.ts', ['--chaos', '--seed', '2840', '--json'], {
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    });
    const report = JSON.parse(stdout) as {
      invariants: { violations: unknown[]; known: unknown[] };
      mutatingCalls: { operation: string }[];
      incidents: { reason?: string }[];
    };

    expect(code).toBe(0);
    expect(report.invariants).toEqual({ violations: [], known: [] });
    expect(report.mutatingCalls.map((c) => c.operation)).not.toContain('CodeDeploy.CreateDeployment');
    expect(report.incidents.map((i) => i.reason)).toContain('Paused');
  }, 60_000);

  // Seed 16 found another (issue 17, item 9): the guard took the lock and then timed out (a Lambda
  // timeout the sweep injects) on every retry, and the failure path left the lock to expire. The
  // failure record now releases the lock the execution may hold on the action's target. Seed 16 has
  // hostile worlds since issue 26; in seed 162 web-cpu-high's guard takes asg:web-asg's lock and
  // times out three times in a row (GuardFunction timeout=0.2), and the incident fails.
  it('replays seed 162: a guard that timed out after taking the lock leaves no lock behind', async () => {
    const { code, stdout } = await runScript('local/drill.ts', ['--chaos', '--seed', '162', '--json'], {
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    });
    const report = JSON.parse(stdout) as {
      faults: string;
      invariants: { violations: unknown[]; known: unknown[] };
      incidents: { reason?: string; statesVisited: string[] }[];
    };

    expect(code).toBe(0);
    expect(report.faults).toContain('Lambda.GuardFunction:timeout=');
    expect(
      report.incidents.some((i) => i.reason === 'Sandbox.Timedout' && i.statesVisited.includes('Check Guardrails')),
    ).toBe(true);
    expect(report.invariants).toEqual({ violations: [], known: [] });
  }, 60_000);

  // Seed 461 (the 1..1000 sweep of issue 26): a runbook over two instances could not record its
  // outcome, and the first instance's lock was no longer the execution's. The Map that holds the
  // targets for review failed on it, the second was never tried, and the local runtime crashed on
  // the iteration left waiting. Each target is now tried on its own.
  it('replays seed 461: one target that cannot be held for review never stops the others', async () => {
    const { code, stdout } = await runScript('local/drill.ts', ['--chaos', '--seed', '461', '--json'], {
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    });
    const report = JSON.parse(stdout) as {
      invariants: { violations: unknown[]; known: unknown[] };
      incidents: { statesVisited: string[] }[];
    };
    const tried = report.incidents.map(
      (i) => i.statesVisited.filter((state) => state === 'Hold Target For Review').length,
    );

    expect(code).toBe(0);
    expect(Math.max(...tried)).toBe(2);
    expect(report.invariants).toEqual({ violations: [], known: [] });
  }, 60_000);

  it('reads seed lists and ranges, and refuses what is neither', () => {
    expect(parseSeeds('1..3,7,2')).toEqual([1, 2, 3, 7]);
    expect(() => parseSeeds('5..1')).toThrow('empty range');
    expect(() => parseSeeds('one')).toThrow('"one" is not a seed');
  });
});
