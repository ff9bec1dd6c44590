import { describe, expect, it } from '@jest/globals';
import { runScript } from '../helpers/cli';

/** `npm run invoke` as a user runs it: its own process, its own sandbox. */
const invoke = (args: string[]) => runScript('local/invoke.ts', args, { POWERTOOLS_LOG_LEVEL: 'INFO' });

describe('npm run invoke (Docker-free sam local invoke)', () => {
  it.each([
    [
      'AlarmIngestFunction',
      'sns-alarm-malformed-batch',
      { results: [{ status: 'started' }, { status: 'rejected' }, { status: 'rejected' }, { status: 'rejected' }] },
    ],
    ['EventIngestFunction', 'eventbridge-codedeploy-failure', { results: [{ status: 'started' }] }],
    ['GuardFunction', 'plan-manual', { plan: { decision: 'act', actionSource: 'manual' } }],
    ['AutoScalingActionFunction', 'auto-scaling-prepare', { status: 'ready', desiredCapacity: 6 }],
    ['AutoScalingActionFunction', 'auto-scaling-apply', { applied: true, watch: { desiredCapacity: 6 } }],
    ['DeploymentRollbackFunction', 'deployment-rollback-apply', { applied: true }],
    ['GuardFunction', 'guard-acquire', { decision: 'proceed', lockAcquired: true }],
    ['AwaitEventFunction', 'await-event', { registered: ['group:web-asg'] }],
    ['RequestApprovalFunction', 'request-approval', { requested: true }],
    ['CorrelateChangeFunction', 'correlate-change', { decision: 'act' }],
    ['EscalateFunction', 'escalate-step', { incident: { source: 'cloudwatch-alarm' } }],
    ['DeploymentRollbackFunction', 'deployment-rollback-prepare', { mode: 'redeploy' }],
    ['AutomationFunction', 'automation-start', { applied: true, watch: { kind: 'automation' } }],
    ['CheckProgressFunction', 'check-progress', { status: 'pending', detail: '4/6 InService and healthy' }],
    ['VerifyRecoveryFunction', 'verify-recovery', { status: 'recovered' }],
    ['RecordOutcomeFunction', 'record-outcome-failed', { outcome: 'failed' }],
  ])(
    'runs %s on events/%s.json and prints only its result on stdout',
    async (id, fixture, expected) => {
      const { code, stdout, stderr } = await invoke([id, '--event', `events/${fixture}.json`]);

      // On failure, show what the command printed.
      expect([code, code === 0 ? '' : stdout + stderr.slice(-500)]).toEqual([0, '']);
      expect(stderr).toContain('Local AWS sandbox at http://127.0.0.1:');
      expect(JSON.parse(stdout)).toMatchObject(expected);
      expect(stdout).not.toContain('"level"');
    },
    60_000,
  );

  it('exits 1 with the error type and message when the handler throws', async () => {
    const { code, stdout } = await invoke(['EventIngestFunction', '--event', 'events/eventbridge-unusable.json']);

    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({
      errorType: 'InvalidEventError',
      errorMessage: expect.stringContaining('Not an EventBridge event'),
    });
  }, 60_000);

  it('takes env.json (written for sam local invoke in Docker) and runs against its own sandbox', async () => {
    const { code, stdout, stderr } = await invoke([
      'AutoScalingActionFunction',
      '--event',
      'events/auto-scaling-prepare.json',
      '--env-vars',
      'env.json',
    ]);

    expect([code, code === 0 ? '' : stdout + stderr.slice(-500)]).toEqual([0, '']);
    expect(JSON.parse(stdout)).toMatchObject({ status: 'ready', desiredCapacity: 6 });
  }, 60_000);

  it('explains its usage for an unknown function', async () => {
    const { code, stderr } = await invoke(['NoSuchFunction', '--event', 'events/plan-incident.json']);

    expect(code).toBe(2);
    expect(stderr).toContain('Functions: AlarmIngestFunction, EventIngestFunction');
  }, 60_000);
});
