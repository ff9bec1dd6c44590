import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `npm run invoke` as a user runs it: its own process, its own sandbox. */
function invoke(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(ROOT, 'local', 'invoke.ts'), ...args], { cwd: ROOT, env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'INFO' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run invoke (Docker-free sam local invoke)', () => {
  it.each([
    ['AlarmIngestFunction', 'sns-alarm-malformed-batch', { results: [{ status: 'started' }, { status: 'rejected' }, { status: 'rejected' }, { status: 'rejected' }] }],
    ['EventIngestFunction', 'eventbridge-codedeploy-failure', { results: [{ status: 'started' }] }],
    ['PlanFunction', 'plan-manual', { plan: { decision: 'act', actionSource: 'manual' } }],
    ['AutoScalingActionFunction', 'auto-scaling-prepare', { status: 'ready', desiredCapacity: 6 }],
    ['DeploymentRollbackFunction', 'deployment-rollback-prepare', { mode: 'redeploy' }],
    ['AutomationFunction', 'automation-start', { applied: true, watch: { kind: 'automation' } }],
    ['CheckProgressFunction', 'check-progress', { status: 'pending', detail: '4/6 InService and healthy' }],
    ['VerifyRecoveryFunction', 'verify-recovery', { status: 'recovered' }],
    ['RecordOutcomeFunction', 'record-outcome-failed', { outcome: 'failed' }],
  ])('runs %s on events/%s.json and prints only its result on stdout', async (id, fixture, expected) => {
    const { code, stdout, stderr } = await invoke([id, '--event', `events/${fixture}.json`]);

    // On failure, show what the command printed.
    expect([code, code === 0 ? '' : stdout + stderr.slice(-500)]).toEqual([0, '']);
    expect(stderr).toContain('Local AWS sandbox at http://127.0.0.1:');
    expect(JSON.parse(stdout)).toMatchObject(expected);
    expect(stdout).not.toContain('"level"');
  }, 60_000);

  it('exits 1 with the error type and message when the handler throws', async () => {
    const { code, stdout } = await invoke(['EventIngestFunction', '--event', 'events/eventbridge-unusable.json']);

    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({ errorType: 'InvalidEventError', errorMessage: expect.stringContaining('Not an EventBridge event') });
  }, 60_000);

  it('explains its usage for an unknown function', async () => {
    const { code, stderr } = await invoke(['NoSuchFunction', '--event', 'events/plan-incident.json']);

    expect(code).toBe(2);
    expect(stderr).toContain('Functions: AlarmIngestFunction, EventIngestFunction');
  }, 60_000);
});
