import { describe, expect, it } from '@jest/globals';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { useGameDaySandbox } from '../helpers/sandbox';

// Its own file: the guard caches the kill switch for 60 s per container (module), as on Lambda.
const current = useGameDaySandbox();

describe('kill switch', () => {
  it('stops every mutating remediation and records the incident as skipped, Reason Paused; notifications still go out', async () => {
    await new SSMClient({}).send(
      new PutParameterCommand({
        Name: process.env.PAUSE_PARAMETER_NAME,
        Value: 'true',
        Type: 'String',
        Overwrite: true,
      }),
    );
    const sfn = new SFNClient({});
    const run = async (name: string, action: object) => {
      const { executionArn } = await sfn.send(
        new StartExecutionCommand({
          stateMachineArn: process.env.STATE_MACHINE_ARN,
          name,
          input: JSON.stringify({ action, reason: 'paused test', dryRun: false }),
        }),
      );
      await current().settle();
      return JSON.parse((await sfn.send(new DescribeExecutionCommand({ executionArn }))).output ?? '{}') as {
        record?: { outcome?: string; reason?: string };
      };
    };

    const scale = await run('paused-scale', { type: 'scale-out', autoScalingGroupName: 'web-asg', step: 2 });
    const replace = await run('paused-replace', { type: 'replace-instance', instanceId: 'i-0abc123def4567890' });
    const notify = await run('paused-notify', { type: 'notify', message: 'still told' });

    expect(scale.record).toMatchObject({ outcome: 'skipped', reason: 'Paused' });
    expect(replace.record).toMatchObject({ outcome: 'skipped', reason: 'Paused' });
    expect(notify.record).toMatchObject({ outcome: 'notified' });
    expect(current().mutatingCalls()).toEqual([]);
    expect(current().calls.filter((c) => c.operation === 'SSM.GetParameter')).toHaveLength(1);
  }, 30_000);
});
