import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ROOT, runScript } from '../helpers/cli';

// Issue 19: `npm start -- --event my-alarm.json` with an alarm, group, instance or deployment group
// the game-day fleet does not have: the sandbox builds them and the verdict is the policy's.
interface Report {
  passed: boolean;
  builtForEvent: string[];
  incidents: { kind: string; outcome: string; reason?: string; verified: boolean; rule: string }[];
  mutatingCalls: { operation: string; params: Record<string, unknown> }[];
}

const dir = mkdtempSync(join(tmpdir(), 'try-your-alarm-'));
const fixture = (name: string) =>
  JSON.parse(readFileSync(join(ROOT, 'events', `${name}.json`), 'utf8')) as Record<string, unknown>;

/** An SNS alarm notification like the fixture's, with another alarm name and trigger. */
function snsAlarm(change: (message: Record<string, unknown>) => void): string {
  const event = fixture('sns-alarm-cpu-high') as { Records: { Sns: { Message: string } }[] };
  const message = JSON.parse(event.Records[0]?.Sns.Message ?? '{}') as Record<string, unknown>;
  change(message);
  (event.Records[0] as { Sns: { Message: string } }).Sns.Message = JSON.stringify(message);
  const file = join(dir, `${String(message.AlarmName)}.json`);
  writeFileSync(file, JSON.stringify(event));
  return file;
}

async function drill(file: string): Promise<Report> {
  const { code, stdout, stderr } = await runScript('local/drill.ts', ['--json', '--event', file]);
  expect([code, code === 0 ? '' : stderr.slice(-800)]).toEqual([0, '']);
  return JSON.parse(stdout) as Report;
}

describe('npm start -- --event with your own alarm', () => {
  it('builds the group and alarm it names, scales that group out and verifies the recovery', async () => {
    const report = await drill(join(ROOT, 'events', 'sns-alarm-your-own.json'));

    expect(report.builtForEvent).toEqual([
      'Auto Scaling group shop-asg (2 instances, max 10, tagged selfhealing:managed)',
      'alarm shop-cpu-high (CPU of shop-asg)',
    ]);
    expect(report.incidents).toEqual([
      expect.objectContaining({ rule: 'high-cpu-scale-out', outcome: 'succeeded', verified: true }),
    ]);
    expect(report.mutatingCalls.map((c) => [c.operation, c.params.AutoScalingGroupName])).toEqual([
      ['AutoScaling.SetDesiredCapacity', 'shop-asg'],
    ]);
  }, 60_000);

  it('ends an alarm no rule matches with the verdict and its reason, and changes nothing', async () => {
    const file = snsAlarm((message) => {
      message.AlarmName = 'orders-queue-depth';
      message.Trigger = {
        Namespace: 'Custom/Orders',
        MetricName: 'QueueDepth',
        Dimensions: [{ name: 'QueueName', value: 'orders' }],
      };
    });

    const report = await drill(file);

    expect(report.builtForEvent).toEqual(['alarm orders-queue-depth (moves only as events say)']);
    expect(report.incidents).toEqual([expect.objectContaining({ outcome: 'skipped', reason: 'NoMatchingRule' })]);
    expect(report.mutatingCalls).toEqual([]);
  }, 60_000);

  it('builds the deployment group a CodeDeploy failure names', async () => {
    const event = fixture('eventbridge-codedeploy-failure') as { detail: Record<string, unknown> };
    Object.assign(event.detail, { application: 'shop-app', deploymentGroup: 'shop-prod' });
    const file = join(dir, 'codedeploy.json');
    writeFileSync(file, JSON.stringify(event));

    const report = await drill(file);

    expect(report.builtForEvent).toEqual([
      'deployment group shop-app/shop-prod (last good revision 1.0.0, then 1.1.0)',
    ]);
    expect(report.incidents).toHaveLength(1);
  }, 60_000);
});
