import { expect, it } from '@jest/globals';
import { runDrill } from '../../local/drill';
import { GAME_DAY } from '../../local/scenarios';
import { BUILD_DIR } from '../../scripts/build';
import { bundlesUnderTest, describeBuilt } from '../helpers/artifact';

// Its own file: the drill starts its own sandbox, and the bundles' SDK clients bind to the first
// endpoint they see. This is `npm start -- --bundles .aws-sam/build`: the default game day, run by
// the code that would ship.
describeBuilt('the self-healing drill on the built bundles', () => {
  it('remediates and verifies the default game day', async () => {
    bundlesUnderTest();
    const { exitCode, report } = await runDrill(
      { scenarios: GAME_DAY, json: true, seed: 42, approvals: 'approve', bundles: BUILD_DIR },
      () => undefined,
    );
    const r = report as { passed: boolean; incidents: { kind: string }[]; mutatingCalls: { operation: string }[] };

    expect(exitCode).toBe(0);
    expect(r.passed).toBe(true);
    expect(r.incidents.filter((i) => i.kind === 'failed')).toEqual([]);
    expect(r.incidents.filter((i) => i.kind === 'remediated').length).toBeGreaterThanOrEqual(7);
    expect(r.mutatingCalls.length).toBeGreaterThanOrEqual(8);
  }, 120_000);
});
