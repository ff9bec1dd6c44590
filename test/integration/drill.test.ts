import { describe, expect, it } from '@jest/globals';
import { runDrill } from '../../local/drill';
import { CORE_FAULTS } from '../../local/scenarios';

// Its own file: the drill starts its own sandbox, and handler modules bind their SDK clients to
// the first endpoint they see (jest gives each file a fresh module registry).
describe('the self-healing drill', () => {
  it('remediates and verifies the whole game day with 30 % of all calls throttled, never applying an action twice', async () => {
    const { exitCode, report } = await runDrill({ scenarios: CORE_FAULTS, faults: '*:throttle=0.3', json: true, seed: 7, speed: 500, approvals: 'approve' }, () => undefined);
    const r = report as { passed: boolean; injectedFaults: number; incidents: { kind: string; reason?: string }[]; mutatingCalls: { operation: string; params: Record<string, unknown> }[] };

    expect(exitCode).toBe(0);
    expect(r.passed).toBe(true);
    expect(r.injectedFaults).toBeGreaterThan(10);
    expect(r.incidents.map((i) => i.kind)).toEqual(['remediated', 'remediated', 'remediated', 'remediated', 'remediated']);
    const applied = r.mutatingCalls.map((c) => `${c.operation} ${JSON.stringify(c.params.InstanceId ?? c.params.AutoScalingGroupName ?? c.params.applicationName ?? c.params.DocumentName)}`);
    expect(applied.sort()).toEqual([
      'AutoScaling.SetDesiredCapacity "web-asg"',
      'AutoScaling.SetInstanceHealth "i-0a11ce00000000001"',
      'AutoScaling.SetInstanceHealth "i-0a11ce00000000002"',
      'CodeDeploy.CreateDeployment "web-app"',
      'SSM.StartAutomationExecution "AWS-RestartEC2Instance"',
    ]);
  }, 120_000);
});
