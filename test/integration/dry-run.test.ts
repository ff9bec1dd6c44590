import { describe, expect, it } from '@jest/globals';
import { runDrill } from '../../local/drill';
import { GAME_DAY } from '../../local/scenarios';

// Its own file: the stack-level DryRun is read from the environment when the handlers load.
describe('stack-level dry run (DryRun=true)', () => {
  it('plays the whole game day with zero mutating calls in the call log, and reports what each incident would have done', async () => {
    const { exitCode, report } = await runDrill(
      { scenarios: GAME_DAY, json: true, seed: 3, approvals: 'approve', dryRun: true },
      () => undefined,
    );
    const r = report as {
      mutatingCalls: unknown[];
      callCount: number;
      incidents: {
        kind: string;
        applied: { call?: { operation: string } } | null;
        plan: { dryRunSources?: string[] } | null;
      }[];
    };

    expect(exitCode).toBe(0);
    expect(r.callCount).toBeGreaterThan(20);
    expect(r.mutatingCalls).toEqual([]);
    const acted = r.incidents.filter((i) => i.applied);
    expect(acted.length).toBeGreaterThanOrEqual(4);
    for (const incident of acted) {
      expect(incident.kind).toBe('dry-run');
      expect(incident.plan?.dryRunSources).toContain('stack');
      expect(incident.applied?.call?.operation).toMatch(/^(AutoScaling|CodeDeploy|SSM)\./);
    }
  }, 120_000);
});
