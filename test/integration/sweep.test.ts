import { describe, expect, it } from '@jest/globals';
import { runScript } from '../helpers/cli';
import { parseSeeds, sweep } from '../../local/simulate';

// The fault sweep CI runs: one generated game day per seed (scenarios, throttling, 5xx, changes whose
// answer is lost, duplicate, late and shuffled deliveries, the kill switch flipped, approvals late,
// never or rejected, hand re-runs), the safety invariants checked after each (local/sim/invariants.ts).
// A failing seed prints the command that reproduces it: npm start -- --chaos --seed N.
const CI_SEEDS = '1..50';

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

    expect(results).toHaveLength(50);
    expect(failures).toEqual([]);
    // About 2 minutes on an idle 2-core machine (npm run simulate prints it); the time limit only
    // catches a hang, so that a loaded machine gives the same answer, later.
  }, 1_200_000);

  // Seed 4 found it: a CreateDeployment whose answer was lost was sent again by the SDK's own retry,
  // and the rollback deployed twice. It now replays the same lost answer and deploys once.
  it('replays seed 4 exactly: the lost CreateDeployment answer, and one rollback deployment', async () => {
    const { code, stdout } = await runScript('local/drill.ts', ['--chaos', '--seed', '4', '--json'], {
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

  // Seed 92 found a known hole (issue 17, item 2): the kill switch is set while a rollback waits
  // for approval, and the rollback is still made, because the switch is read only at the guard.
  // Reported as known, not failing, until issue 17 re-checks it before every change; then this
  // test fails and is turned round to expect no violation.
  it('replays seed 92: a rollback made after the kill switch was set during its approval wait (known)', async () => {
    const { code, stdout } = await runScript('local/drill.ts', ['--chaos', '--seed', '92', '--json'], {
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    });
    const report = JSON.parse(stdout) as {
      invariants: { violations: unknown[]; known: { invariant: string; detail: string; knownAs: string }[] };
    };

    expect(code).toBe(0);
    expect(report.invariants.violations).toEqual([]);
    expect(report.invariants.known).toEqual([
      expect.objectContaining({
        invariant: 'kill-switch',
        detail: expect.stringContaining('made CodeDeploy.CreateDeployment'),
        knownAs: expect.stringContaining('issue 17, item 2'),
      }),
    ]);
  }, 60_000);

  // Seed 16 found another (issue 17, item 9): the guard took the lock and then timed out (a Lambda
  // timeout the sweep injects) on every retry; the failure path leaves the lock to expire.
  it('replays seed 16: a lock left behind by a guard that timed out after taking it (known)', async () => {
    const { code, stdout } = await runScript('local/drill.ts', ['--chaos', '--seed', '16', '--json'], {
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    });
    const report = JSON.parse(stdout) as {
      faults: string;
      invariants: { violations: unknown[]; known: { invariant: string; knownAs: string }[] };
    };

    expect(code).toBe(0);
    expect(report.faults).toContain('Lambda.GuardFunction:timeout=');
    expect(report.invariants.violations).toEqual([]);
    expect(report.invariants.known).toContainEqual(
      expect.objectContaining({ invariant: 'lock-released', knownAs: expect.stringContaining('issue 17, item 9') }),
    );
  }, 60_000);

  it('reads seed lists and ranges, and refuses what is neither', () => {
    expect(parseSeeds('1..3,7,2')).toEqual([1, 2, 3, 7]);
    expect(() => parseSeeds('5..1')).toThrow('empty range');
    expect(() => parseSeeds('one')).toThrow('"one" is not a seed');
  });
});
