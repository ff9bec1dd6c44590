import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { CloudWatchClient, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ROOT, runScript } from '../helpers/cli';

// Issue 19: npm run sandbox stops cleanly on a signal, and a busy port is one line.
function startSandbox(args: string[]) {
  const child = spawn(
    process.execPath,
    [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'local/serve.ts', ...args],
    {
      cwd: ROOT,
    },
  );
  let stderr = '';
  const listening = new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const url = /listening on (http:\/\/[\d.:]+)/.exec(stderr)?.[1];
      if (url) resolve(url);
    });
    child.on('close', (code) => reject(new Error(`exited ${String(code)} before listening: ${stderr}`)));
  });
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  return { child, listening, closed, stderr: () => stderr };
}

describe('npm run sandbox', () => {
  it('refuses a port in use with one line, and stops on SIGTERM without waiting for anything', async () => {
    const first = startSandbox(['--port', '0']);
    const url = await first.listening;
    const port = new URL(url).port;

    const second = await runScript('local/serve.ts', ['--port', port]);

    expect(second.code).toBe(2);
    expect(second.stderr.trim().split('\n')).toEqual([
      `sandbox: port ${port} on 127.0.0.1 is in use: stop what holds it, or pass --port <another>`,
    ]);

    first.child.kill('SIGTERM');

    expect(await first.closed).toBe(0);
    expect(first.stderr()).toContain('SIGTERM: stopping the sandbox');
  }, 60_000);

  // Issue 19: driven by the AWS CLI as on AWS, an alarm set to ALARM starts a remediation.
  it('runs the alarm ingest function when a client sets an alarm to ALARM, and when it publishes to the alarm topic', async () => {
    const sandbox = startSandbox(['--port', '0', '--speed', '60']);
    const endpoint = await sandbox.listening;
    const client = { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } };
    const started = (text: string) =>
      new RegExp(`${text}[^\\n]*→ AlarmIngestFunction: \\{"results":\\[\\{"status":"started"`);
    const until = async (pattern: RegExp) => {
      while (!pattern.test(sandbox.stderr())) await new Promise((resolve) => setImmediate(resolve));
    };

    await new CloudWatchClient(client).send(
      new SetAlarmStateCommand({ AlarmName: 'web-cpu-high', StateValue: 'ALARM', StateReason: 'set by hand' }),
    );
    await until(started('alarm web-cpu-high OK → ALARM'));

    const { Records } = JSON.parse(readFileSync(join(ROOT, 'events', 'sns-alarm-status-check.json'), 'utf8')) as {
      Records: { Sns: { Message: string; TopicArn: string } }[];
    };
    const message = JSON.parse(Records[0]?.Sns.Message ?? '{}') as Record<string, unknown>;
    await new SNSClient(client).send(
      new PublishCommand({
        TopicArn: 'arn:aws:sns:us-east-1:123456789012:AlarmTopic',
        Message: JSON.stringify({ ...message, StateChangeTime: new Date().toISOString().replace('Z', '+0000') }),
      }),
    );
    await until(
      /SNS arn:aws:sns:us-east-1:123456789012:AlarmTopic → AlarmIngestFunction: \{"results":\[\{"status":"started"/,
    );

    sandbox.child.kill('SIGINT');
    expect(await sandbox.closed).toBe(0);
    expect(sandbox.stderr()).toContain('SIGINT: stopping the sandbox; 2 execution(s) still running, abandoned:');
  }, 60_000);

  it.each([
    [['--port', 'x'], 'sandbox: --port must be 0–65535, not "x"'],
    [['--speed', '0'], 'sandbox: --speed must be a number above 0, not "0"'],
    [['--scenario', 'nope'], 'sandbox: unknown scenario "nope"'],
  ])(
    '%j exits 2 at once: %s',
    async (args, message) => {
      const { code, stderr } = await runScript('local/serve.ts', args);

      expect(code).toBe(2);
      expect(stderr).toContain(message);
    },
    30_000,
  );
});
