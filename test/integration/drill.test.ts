import { describe, expect, it } from '@jest/globals';
import { runDrill } from '../../local/drill';
import { CORE_FAULTS } from '../../local/scenarios';
import { runScript } from '../helpers/cli';

// Its own file: the drill starts its own sandbox, and handler modules bind their SDK clients to
// the first endpoint they see (jest gives each file a fresh module registry).
describe('the self-healing drill', () => {
  it('remediates and verifies the whole game day with 30 % of all calls throttled, never applying an action twice', async () => {
    const { exitCode, report } = await runDrill(
      { scenarios: CORE_FAULTS, faults: '*:throttle=0.3', json: true, seed: 7, approvals: 'approve' },
      () => undefined,
    );
    const r = report as {
      passed: boolean;
      injectedFaults: number;
      incidents: { kind: string; reason?: string }[];
      mutatingCalls: { operation: string; params: Record<string, unknown> }[];
    };

    expect(exitCode).toBe(0);
    expect(r.passed).toBe(true);
    expect(r.injectedFaults).toBeGreaterThan(10);
    expect(r.incidents.map((i) => i.kind)).toEqual(Array(7).fill('remediated'));
    const applied = r.mutatingCalls.map(
      (c) =>
        `${c.operation} ${JSON.stringify(c.params.InstanceId ?? c.params.AutoScalingGroupName ?? c.params.applicationName ?? c.params.DocumentName)}`,
    );
    expect(applied.sort()).toEqual([
      'AutoScaling.SetDesiredCapacity "web-asg"',
      'AutoScaling.SetInstanceHealth "i-0a11ce00000000001"',
      'AutoScaling.SetInstanceHealth "i-0a11ce00000000002"',
      // disk-full: the ladder's first rung (restart the service), then its second (replace the instance)
      'AutoScaling.SetInstanceHealth "i-0b0b0b00000000001"',
      // cpu-regression: change-aware, a rollback instead of a scale-out of checkout-asg
      'CodeDeploy.CreateDeployment "checkout-app"',
      'CodeDeploy.CreateDeployment "web-app"',
      'SSM.StartAutomationExecution "AWS-RestartEC2Instance"',
      'SSM.StartAutomationExecution "self-healing-local-RestartService"',
    ]);
  }, 120_000);

  it('with --warm-up, runs the drill once unreported, then reports a second full run on the same sandbox endpoint', async () => {
    const { code, stdout } = await runScript('local/drill.ts', ['--scenario', 'cpu-spike', '--warm-up', '--json']);
    const report = JSON.parse(stdout) as {
      passed: boolean;
      incidents: { kind: string; reactionMs: number | null }[];
      mutatingCalls: { operation: string }[];
    };

    expect(code).toBe(0);
    expect(report.passed).toBe(true);
    // Only the reported run's calls: one scale-out, not one per run.
    expect(report.mutatingCalls.map((c) => c.operation)).toEqual(['AutoScaling.SetDesiredCapacity']);
    expect(report.incidents).toEqual([expect.objectContaining({ kind: 'remediated', reactionMs: expect.any(Number) })]);
  }, 120_000);
});
