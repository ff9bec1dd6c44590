import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from '@jest/globals';
import { bundlesUnderTest, describeBuilt } from '../helpers/artifact';
import {
  BUNDLED_NOT_CALLED,
  type Call,
  type Grant,
  type IamReport,
  bundledActions,
  checkCall,
  checkStack,
  loadReference,
} from '../../scripts/iam-check';
import { ROOT } from '../../local/template';

// IAM proven from the code: every call the built bundles can make, the state machine's
// integrations and the runbooks' steps, checked against the AWS Service Authorization Reference and
// the roles as the SAM transform writes them (scripts/iam-check.ts; npm run iam prints the report).
let reference: ReturnType<typeof loadReference>;
let report: IamReport;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describeBuilt('IAM of the stack, from the built bundles and the translated template', () => {
  beforeAll(() => {
    reference = loadReference();
    report = checkStack(bundlesUnderTest(), reference);
  }, 60_000);

  it('finds the calls each function makes in its bundle (none forgotten in a hand list)', () => {
    const actions = (role: string) => report.calls.filter((c) => c.role === role).map((c) => c.action);
    expect(actions('AutoScalingActionFunctionRole')).toEqual(
      expect.arrayContaining([
        'autoscaling:SetDesiredCapacity',
        'autoscaling:SetInstanceHealth',
        'autoscaling:DescribeAutoScalingGroups',
        'cloudwatch:DescribeAlarms',
      ]),
    );
    expect(actions('DeploymentRollbackFunctionRole')).toEqual(
      expect.arrayContaining([
        'codedeploy:StopDeployment',
        'codedeploy:CreateDeployment',
        'codedeploy:ListTagsForResource',
      ]),
    );
    expect(actions('GuardFunctionRole')).toEqual(expect.arrayContaining(['ssm:GetParameter', 'dynamodb:UpdateItem']));
    expect(actions('RemediationStateMachineRole')).toContain('lambda:InvokeFunction');
    expect(actions('AutomationRole')).toEqual(
      expect.arrayContaining(['ec2:StopInstances', 'ec2:StartInstances', 'kms:CreateGrant', 'ssm:SendCommand']),
    );
  });

  it('grants every call on the resource types AWS requires, with condition keys AWS supports', () => {
    expect(report.findings.map((f) => `${f.call.role} ${f.call.action} (${f.call.why}): ${f.problem}`)).toEqual([]);
  });

  it('grants nothing that no call uses', () => {
    expect(report.unused).toEqual([]);
  });

  it('skips a bundled command only where our code cannot call it', () => {
    const source = sourceFiles(join(ROOT, 'functions'))
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    for (const [action, { calledBy }] of Object.entries(BUNDLED_NOT_CALLED))
      expect([action, calledBy.test(source)]).toEqual([action, false]);
    // No stale entries: each is still in some bundle.
    const bundled = new Set(
      bundlesUnderTest().flatMap((b) => bundledActions(readFileSync(b.outfile, 'utf8')).map((a) => a.action)),
    );
    expect(Object.keys(BUNDLED_NOT_CALLED).filter((a) => !bundled.has(a))).toEqual([]);
  });
});

describeBuilt('the IAM check itself, on the defects it exists for', () => {
  beforeAll(() => {
    reference = loadReference();
  });
  const role = 'R';
  const grant = (actions: string[], resources: string[], conditionKeys: string[] = []): Grant => ({
    role,
    policy: 'p',
    sid: 's',
    actions,
    resources,
    conditionKeys,
  });
  const call = (action: string, on: string[] = []): Call => ({ role, action, on, why: 'test' });
  const GROUP_ARN = 'arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:*/*';

  it('denies StopDeployment granted on deployment-group ARNs (it has no resource type: only "*")', () => {
    expect(
      checkCall(
        call('codedeploy:StopDeployment'),
        [grant(['codedeploy:StopDeployment'], [GROUP_ARN])],
        reference,
      ).problems.join(),
    ).toMatch(/only Resource "\*"/);
    expect(
      checkCall(call('codedeploy:StopDeployment'), [grant(['codedeploy:StopDeployment'], ['*'])], reference).problems,
    ).toEqual([]);
  });

  it('denies a statement whose condition key the action and its resources do not support', () => {
    const tagged = grant(['codedeploy:StopDeployment'], ['*'], ['aws:ResourceTag/selfhealing:managed']);
    expect(checkCall(call('codedeploy:StopDeployment'), [tagged], reference).problems.join()).toMatch(/never applies/);
  });

  it('denies StartAutomationExecution granted on automation definitions alone (it needs the execution and the document)', () => {
    const definitions = grant(
      ['ssm:StartAutomationExecution'],
      ['arn:aws:ssm:us-east-1:*:automation-definition/AWS-RestartEC2Instance:*'],
    );
    expect(checkCall(call('ssm:StartAutomationExecution'), [definitions], reference).problems.join()).toMatch(
      /automation-execution.*document|document.*automation-execution/s,
    );
  });

  it('refuses "*" for an action that takes ARNs, and a grant that misses the configured resource', () => {
    expect(
      checkCall(
        call('cloudwatch:DescribeAlarms'),
        [grant(['cloudwatch:DescribeAlarms'], ['*'])],
        reference,
      ).problems.join(),
    ).toMatch(/on "\*" where it takes alarm ARNs/);
    const queue = 'arn:aws:sqs:us-east-1:123456789012:IngestDeadLetterQueue';
    expect(
      checkCall(
        call('sqs:SendMessage', [queue]),
        [grant(['sqs:SendMessage'], ['arn:aws:sqs:us-east-1:123456789012:other'])],
        reference,
      ).problems.join(),
    ).toMatch(/nothing allows it on arn:aws:sqs/);
  });

  it('lets separate statements grant the separate resources of one request (document and instance of SendCommand)', () => {
    const on = [
      'arn:aws:ssm:us-east-1::document/AWS-RunShellScript',
      'arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0',
    ];
    const grants = [
      grant(['ssm:SendCommand'], ['arn:aws:ssm:us-east-1::document/AWS-RunShellScript']),
      grant(['ssm:SendCommand'], ['arn:aws:ec2:us-east-1:123456789012:instance/*']),
    ];
    expect(checkCall(call('ssm:SendCommand', on), grants, reference).problems).toEqual([]);
    expect(checkCall(call('ssm:SendCommand', on), grants.slice(0, 1), reference).problems.join()).toMatch(
      /instance\/i-0123456789abcdef0/,
    );
  });
});
