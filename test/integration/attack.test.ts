import { describe, expect, it } from '@jest/globals';
import { runDrill } from '../../local/drill';

// Its own file: the drill starts its own sandbox, and handler modules bind their SDK clients to
// the first endpoint they see (jest gives each file a fresh module registry).
describe('npm start -- --scenario attack', () => {
  // Issue 17: what an on-call engineer, a careless teammate and a malicious tagger tried.
  it('refuses every attack in --scenario attack, changes nothing, and tells a human about each', async () => {
    const { exitCode, report } = await runDrill(
      { scenarios: ['attack'], json: true, seed: 42, approvals: 'approve' },
      () => undefined,
    );
    const r = report as {
      incidents: { kind: string; reason?: string }[];
      mutatingCalls: unknown[];
      notifications: { severity: string }[];
    };

    expect(exitCode).toBe(0);
    expect(r.mutatingCalls).toEqual([]);
    expect(r.incidents.map((i) => [i.kind, i.reason]).sort()).toEqual([
      ['refused', 'AlarmTagActionNotAllowed'],
      ['refused', 'ParameterNotAllowed'],
      ['refused', 'TargetNotNamedByAlarm'],
      ['refused', 'TargetNotNamedByAlarm'],
      ['refused', 'TargetNotNamedByAlarm'],
    ]);
    expect(r.notifications).toHaveLength(5);
  }, 60_000);
});
