import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parseFaults } from '../../local/sandbox/faults';
import { ROOT } from '../../local/template';
import { useGameDaySandbox } from '../helpers/sandbox';

// scripts/smoke-check.sh is what the pipeline runs after deploying staging. Here it runs, unchanged,
// with the AWS CLI against the sandbox's Step Functions API.
const current = useGameDaySandbox();
const hasAwsCli = spawnSync('aws', ['--version'], { stdio: 'ignore' }).status === 0;
if (!hasAwsCli) console.warn('The AWS CLI is not installed: skipping the smoke-check script test.');

/** Runs the script; meanwhile simulated time passes (this test waits as a process of the simulation). */
function smokeCheck(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return current.simulation().await(
    new Promise((resolve, reject) => {
      const child = spawn('bash', [join(ROOT, 'scripts', 'smoke-check.sh'), 'self-healing-local'], {
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          AWS_ENDPOINT_URL: current().url,
          AWS_DEFAULT_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'sandbox',
          AWS_SECRET_ACCESS_KEY: 'sandbox',
          STATE_MACHINE_ARN: process.env.STATE_MACHINE_ARN,
          SMOKE_POLL_SECONDS: '0.2',
          SMOKE_TIMEOUT_SECONDS: '60',
        },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    }),
  );
}

(hasAwsCli ? describe : describe.skip)('the pipeline smoke check (scripts/smoke-check.sh)', () => {
  it('passes when a manual dry run SUCCEEDS with a plan, and changes nothing', async () => {
    const before = current().mutatingCalls().length;
    const { code, stdout, stderr } = await smokeCheck();

    expect([code, stderr]).toEqual([0, '']);
    expect(stdout).toMatch(
      /smoke check passed: SUCCEEDED, plan manual-notify|smoke check passed: SUCCEEDED, plan notify/,
    );
    expect(current().mutatingCalls().length).toBe(before);
  }, 60_000);

  it('fails the pipeline when the execution fails', async () => {
    // SNS refuses every publish (throttled): the outcome cannot be told, and the execution fails.
    current().faults.set(parseFaults('SNS.Publish:first=1000,fail=throttle'));
    try {
      const { code, stderr } = await smokeCheck();

      expect(code).toBe(1);
      expect(stderr).toMatch(/smoke check FAILED: smoke-\S+ ended FAILED/);
    } finally {
      current().faults.set([]);
    }
  }, 60_000);
});
