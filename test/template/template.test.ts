import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import * as z from 'zod';
import { AutoScalingTaskSchema } from '../../functions/auto-scaling-action/handler';
import { CheckProgressInputSchema } from '../../functions/check-progress/handler';
import { RollbackTaskSchema } from '../../functions/rollback-deployment/handler';
import { AutomationTaskSchema } from '../../functions/run-automation/handler';
import { PlanTaskInputSchema } from '../../functions/plan/step';
import { ApprovalRequestSchema } from '../../functions/request-approval/handler';
import { APPROVAL_TIMEOUT_SECONDS } from '../../functions/domain/policy/engine';
import { ASL_PATH } from '../../local/workflow';
import { withDiagram } from '../../scripts/workflow-diagram';
import { RecordInputSchema } from '../../functions/domain/outcome';
import { EscalateInputSchema } from '../../functions/escalate/handler';
import { AwaitInputSchema } from '../../functions/await-event/handler';
import { ManualRequestSchema } from '../../functions/domain/manual';
import { PlannedStateSchema } from '../../functions/domain/execution-state';
import { VerifyInputSchema } from '../../functions/verify-recovery/handler';
import { FUNCTION_HANDLERS } from '../../local/functions';
import { aslPlaceholders } from '../../local/workflow';
import { eventFiles, loadEvent } from '../helpers/fixtures';
import { ROOT, functionsOf, loadTemplate } from '../helpers/template';

const template = loadTemplate();
const functions = functionsOf(template);

/** The fixtures in events/ for each function's input (`sam local invoke <Id> -e events/<file>`). */
const FIXTURES: Record<string, { files: string[]; schema?: z.ZodType }> = {
  AlarmIngestFunction: {
    files: [
      'sns-alarm-cpu-high',
      'sns-alarm-your-own',
      'sns-alarm-ok',
      'sns-alarm-metric-math',
      'sns-alarm-composite',
      'sns-alarm-tagged',
      'sns-alarm-status-check',
      'sns-alarm-error-rate',
      'sns-alarm-malformed-batch',
      'sns-invalid-envelope',
    ],
  },
  EventIngestFunction: {
    files: [
      'eventbridge-alarm-state-change',
      'eventbridge-alarm-ok',
      'eventbridge-codedeploy-failure',
      'eventbridge-asg-launch-unsuccessful',
      'eventbridge-asg-terminate-unsuccessful',
      'eventbridge-asg-launch-successful',
      'eventbridge-codedeploy-success',
      'eventbridge-automation-status',
      'eventbridge-ec2-stopped',
      'eventbridge-ec2-terminated',
      'eventbridge-malformed-detail',
      'eventbridge-unusable',
    ],
  },
  GuardFunction: {
    files: ['plan-incident', 'plan-manual', 'guard-acquire'],
    schema: z.union([PlanTaskInputSchema.extend({ step: z.literal('plan') }), PlannedStateSchema]),
  },
  RequestApprovalFunction: { files: ['request-approval'], schema: ApprovalRequestSchema },
  AutoScalingActionFunction: { files: ['auto-scaling-prepare', 'auto-scaling-apply'], schema: AutoScalingTaskSchema },
  DeploymentRollbackFunction: {
    files: ['deployment-rollback-prepare', 'deployment-rollback-apply'],
    schema: RollbackTaskSchema,
  },
  AutomationFunction: { files: ['automation-prepare', 'automation-start'], schema: AutomationTaskSchema },
  CheckProgressFunction: { files: ['check-progress'], schema: CheckProgressInputSchema },
  VerifyRecoveryFunction: { files: ['verify-recovery'], schema: VerifyInputSchema },
  RecordOutcomeFunction: { files: ['record-outcome-failed'], schema: RecordInputSchema },
  EscalateFunction: { files: ['escalate-step'], schema: EscalateInputSchema },
  CorrelateChangeFunction: { files: ['correlate-change'], schema: PlannedStateSchema },
  AwaitEventFunction: { files: ['await-event'], schema: AwaitInputSchema },
};

/**
 * Mutating actions with no IAM resource type (Service Authorization Reference): AWS grants them only
 * on "*", so the code checks what the role cannot (test/unit/deployment-rollback.test.ts), and
 * test/artifact/iam.test.ts proves the grant against the reference.
 */
const ONLY_GRANTABLE_ON_STAR = new Set(['codedeploy:StopDeployment']);

describe('template.yaml', () => {
  it('declares exactly the functions the local runtime binds', () => {
    expect(functions.map(([id]) => id).sort()).toEqual(Object.keys(FUNCTION_HANDLERS).sort());
  });

  it.each(functions)(
    '%s is built by esbuild as ESM from an entry point that exists, with a retained log group',
    (id, fn) => {
      const build = fn.Metadata?.BuildProperties;
      expect(fn.Metadata?.BuildMethod).toBe('esbuild');
      expect(build?.Format).toBe('esm');
      expect(build?.EntryPoints).toHaveLength(1);
      expect(existsSync(join(ROOT, build?.EntryPoints?.[0] ?? 'missing'))).toBe(true);
      expect(fn.Properties?.Handler).toBe('handler.handler');
      const logGroup = template.Resources[`${id}LogGroup`];
      expect(logGroup?.Type).toBe('AWS::Logs::LogGroup');
      expect(logGroup?.Properties?.RetentionInDays).toEqual({ Ref: 'LogRetentionDays' });
      expect(fn.Properties?.LoggingConfig).toEqual({ LogGroup: { Ref: `${id}LogGroup` } });
    },
  );

  it('gives every function Node 22 on arm64 with active tracing and the Powertools settings', () => {
    expect(template.Globals.Function).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Tracing: 'Active',
      Environment: {
        Variables: expect.objectContaining({
          POWERTOOLS_SERVICE_NAME: 'self-healing',
          POWERTOOLS_METRICS_NAMESPACE: 'SelfHealing',
        }),
      },
    });
  });

  it('deploys no function with source maps on: sam build would set NODE_OPTIONS=--enable-source-maps over Globals', () => {
    // The SAM CLI's post-build step (samcli/lib/build/bundler.py, _set_sourcemap_env_from_metadata):
    // an esbuild function whose Sourcemap is truthy gets NODE_OPTIONS=--enable-source-maps written
    // onto the function itself, unless its NODE_OPTIONS already holds that flag. Node then parses the
    // map at every cold start (20-45 ms per function, measured).
    const samWritesSourceMaps = ([, fn]: (typeof functions)[number]) =>
      Boolean((fn.Metadata?.BuildProperties as { Sourcemap?: unknown } | undefined)?.Sourcemap);
    expect(functions.filter(samWritesSourceMaps).map(([id]) => id)).toEqual([]);
    expect(JSON.stringify(template.Globals.Function)).not.toContain('NODE_OPTIONS');
  });

  it('gives list values only to the BuildProperties that esbuild takes as --flag:item (sam build passes each item that way)', () => {
    const LIST_FLAGS = new Set(['EntryPoints', 'External', 'Loader', 'Banner', 'Footer', 'OutExtension']);
    const lists = functions.flatMap(([id, fn]) =>
      Object.entries((fn.Metadata?.BuildProperties ?? {}) as Record<string, unknown>)
        .filter(([key, value]) => Array.isArray(value) && !LIST_FLAGS.has(key))
        .map(([key]) => `${id}.${key}`),
    );
    expect(lists).toEqual([]);
  });

  it("keeps docs/architecture.md's workflow diagram generated from the ASL (npm run generate)", () => {
    const readme = readFileSync(join(ROOT, 'docs', 'architecture.md'), 'utf8');
    expect(withDiagram(readme)).toBe(readme);
  });

  it('waits for approval exactly as long as the plan tells the approver', () => {
    const asl = JSON.parse(readFileSync(ASL_PATH, 'utf8')) as { States: Record<string, { TimeoutSeconds?: number }> };
    expect(asl.States['Request Approval']?.TimeoutSeconds).toBe(APPROVAL_TIMEOUT_SECONDS);
  });

  it('substitutes every ${…} of the ASL, and nothing else', () => {
    const machine = template.Resources.RemediationStateMachine;
    const substitutions = Object.keys(machine?.Properties?.DefinitionSubstitutions ?? {}).sort();

    expect(machine?.Properties?.DefinitionUri).toBe('statemachines/remediation.asl.json');
    expect(substitutions).toEqual(aslPlaceholders());
  });

  it('gives each ingest path a dead-letter queue: the functions, the SNS subscription and every EventBridge rule', () => {
    const dlq = { 'Fn::GetAtt': ['IngestDeadLetterQueue', 'Arn'] };
    for (const id of ['AlarmIngestFunction', 'EventIngestFunction']) {
      const props = template.Resources[id]?.Properties ?? {};
      expect(props.DeadLetterQueue).toEqual({ Type: 'SQS', TargetArn: dlq });
      expect(props.EventInvokeConfig).toEqual({ MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 2 });
      for (const [name, event] of Object.entries(
        props.Events as Record<string, { Type: string; Properties: Record<string, unknown> }>,
      )) {
        if (event.Type === 'SNS')
          expect([name, event.Properties.RedrivePolicy]).toEqual([name, { deadLetterTargetArn: dlq }]);
        else expect([name, event.Properties.DeadLetterConfig]).toEqual([name, { Arn: dlq }]);
      }
    }
  });

  it('lets only CloudWatch alarms of this account publish to the alarm topic', () => {
    const statement = (template.Resources.AlarmTopicPolicy?.Properties?.PolicyDocument as { Statement: object[] })
      .Statement;
    expect(statement).toEqual([
      expect.objectContaining({
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      }),
    ]);
  });

  it('scopes every mutating Auto Scaling, CodeDeploy and SSM permission to managed resources, never "*"', () => {
    const mutating = /^(autoscaling:(Set|Update|Terminate)|codedeploy:(Stop|Create)|ssm:Start)/;
    for (const [id, fn] of functions) {
      for (const policy of (fn.Properties?.Policies ?? []) as {
        Statement?: { Action: string | string[]; Resource: unknown }[];
      }[]) {
        for (const statement of policy.Statement ?? []) {
          const actions = [statement.Action].flat();
          if (actions.some((a) => mutating.test(a) && !ONLY_GRANTABLE_ON_STAR.has(a)))
            expect([id, statement.Resource]).not.toEqual([id, '*']);
        }
      }
    }
  });

  it('exports what operators need', () => {
    expect(Object.keys(template.Outputs ?? {})).toEqual(
      expect.arrayContaining(['AlarmTopicArn', 'StateMachineArn', 'NotificationTopicArn']),
    );
    expect(Object.keys(template.Parameters)).toEqual(
      expect.arrayContaining(['Environment', 'DryRun', 'NotificationEmail']),
    );
  });
});

describe('events/ fixtures', () => {
  it.each(Object.entries(FIXTURES))('%s has fixtures its input schema accepts', (id, { files, schema }) => {
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const event = loadEvent(file);
      if (schema) expect([file, schema.safeParse(event).error?.issues ?? []]).toEqual([file, []]);
    }
    expect(Object.keys(FIXTURES)).toContain(id);
  });

  it('has no orphan fixture and a valid manual-execution input', () => {
    const known = new Set([...Object.values(FIXTURES).flatMap((f) => f.files), 'manual-execution']);
    expect(
      eventFiles()
        .map((f) => f.replace(/\.json$/, ''))
        .filter((f) => !known.has(f)),
    ).toEqual([]);
    expect(ManualRequestSchema.safeParse(loadEvent('manual-execution')).success).toBe(true);
  });
});

describe('the platform watching itself', () => {
  const nested = template.Resources.Dashboard?.Properties as { Location: string; Parameters: Record<string, unknown> };
  const child = loadTemplate(nested.Location);
  const body = (child.Resources.Dashboard?.Properties?.DashboardBody as { 'Fn::Sub': string })['Fn::Sub'];
  const dashboard = JSON.parse(body.replace(/\$\{[\w:.]+\}/g, 'x')) as {
    widgets: { properties: { title: string; metrics: unknown[][] } }[];
  };
  const source = [
    'functions/aws/ingest.ts',
    'functions/domain/outcome.ts',
    'functions/guard/handler.ts',
    'functions/request-approval/handler.ts',
    'functions/plan/step.ts',
    'functions/correlate-change/handler.ts',
  ]
    .map((f) => readFileSync(join(ROOT, f), 'utf8'))
    .join('\n');

  it('charts remediations by outcome and action, times, skips by reason, inbound events and the workflow', () => {
    expect(dashboard.widgets.map((w) => w.properties.title)).toEqual(
      expect.arrayContaining([
        'Remediations by outcome',
        'Remediations started, by action',
        'Time to remediate and to recover (s, p90)',
        'Skips by reason',
        'Inbound',
        'Workflow executions',
      ]),
    );
  });

  it('is a nested application given every parameter its template declares, and nothing else', () => {
    expect(template.Resources.Dashboard?.Type).toBe('AWS::Serverless::Application');
    expect(Object.keys(nested.Parameters).sort()).toEqual(Object.keys(child.Parameters).sort());
    // Ref of a nested stack is its id: the dashboard's name comes from the child's output.
    expect(template.Outputs?.DashboardName?.Value).toEqual({ 'Fn::GetAtt': ['Dashboard', 'Outputs.DashboardName'] });
    expect(child.Outputs?.DashboardName?.Value).toEqual({ Ref: 'Dashboard' });
    const used = new Set([...body.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]));
    expect([...used].filter((name) => !(String(name) in child.Parameters))).toEqual([]);
  });

  it('charts only SelfHealing metrics the code emits', () => {
    const charted = [...body.matchAll(/MetricName=\\?"(\w+)\\?"|"SelfHealing",\s*"(\w+)"/g)].map((m) => m[1] ?? m[2]);
    expect(charted.length).toBeGreaterThan(10);
    expect(charted.filter((name) => !source.includes(`'${name}'`))).toEqual([]);
  });

  it("raises the platform's own alarms on the notification topic", () => {
    const alarms = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm');
    expect(alarms.map(([id]) => id).sort()).toEqual([
      'BudgetExhaustedAlarm',
      'ExecutionsTimedOutAlarm',
      'IngestDeadLetterAlarm',
      'IngestErrorsAlarm',
      'InvalidEventsAlarm',
      'NotificationUnconfirmedAlarm',
      'RemediationFailuresAlarm',
    ]);
    for (const [id, alarm] of alarms)
      expect([id, alarm.Properties?.AlarmActions]).toEqual([id, [{ Ref: 'NotificationTopic' }]]);
  });
});

describe('game day', () => {
  it('offers an optional FIS experiment that stops half the chaos-tagged instances of a group and stops itself when remediations fail', () => {
    const experiment = template.Resources.GameDayExperiment;
    expect(experiment?.Condition).toBe('CreateGameDay');
    expect(experiment?.Properties).toMatchObject({
      Targets: {
        ChaosInstances: {
          SelectionMode: 'PERCENT(50)',
          ResourceTags: {
            'selfhealing:chaos': 'true',
            'aws:autoscaling:groupName': { Ref: 'GameDayAutoScalingGroup' },
          },
        },
      },
      Actions: {
        StopHalf: { ActionId: 'aws:ec2:stop-instances', Parameters: { startInstancesAfterDuration: 'PT10M' } },
      },
      StopConditions: [
        { Source: 'aws:cloudwatch:alarm', Value: { 'Fn::GetAtt': ['RemediationFailuresAlarm', 'Arn'] } },
      ],
    });
  });

  it('ships a restart-a-service runbook that the default policy names and the automation function may start', () => {
    const runbook = template.Resources.RestartServiceRunbook?.Properties as {
      Name: { 'Fn::Sub': string };
      DocumentType: string;
      Content: { mainSteps: { name: string }[] };
    };
    expect(runbook.DocumentType).toBe('Automation');
    expect(runbook.Content.mainSteps.map((step) => step.name)).toEqual(['RestartService', 'VerifyActive']);
    const allowed = JSON.stringify(template.Resources.AutomationFunction?.Properties?.Policies);
    expect(runbook.Name['Fn::Sub']).toBe('${AWS::StackName}-RestartService');
    expect(allowed).toContain('automation-definition/${AWS::StackName}-*:*');
    expect(template.Resources.GuardFunction?.Properties?.Environment).toMatchObject({
      Variables: {
        RESTART_SERVICE_DOCUMENT: { Ref: 'RestartServiceRunbook' },
        SHADOW_MODE: { Ref: 'ShadowMode' },
        MAX_INCIDENT_AGE_SECONDS: { Ref: 'MaxIncidentAgeSeconds' },
      },
    });
    expect(readFileSync(join(ROOT, 'policies', 'default.json'), 'utf8')).toContain(
      '"documentName": "{{platform.restartServiceDocument}}"',
    );
  });
});

// Rules in the spirit of CloudFormation Guard (no cfn-guard binary here): each one over the
// parsed template, each failing with the resources that break it.
describe('policy as code over template.yaml', () => {
  const resources = Object.entries(template.Resources);
  const ofType = (type: string) => resources.filter(([, r]) => r.Type === type);
  type Statement = { Action: string | string[]; Resource?: unknown };
  const statementsOf = (fn: { Properties?: Record<string, unknown> }) =>
    ((fn.Properties?.Policies ?? []) as { Statement?: Statement[] }[]).flatMap((p) => p.Statement ?? []);

  it('encrypts every topic and queue with the stack key', () => {
    const unencrypted = [...ofType('AWS::SNS::Topic'), ...ofType('AWS::SQS::Queue')]
      .filter(([, r]) => JSON.stringify(r.Properties?.KmsMasterKeyId) !== JSON.stringify({ Ref: 'EncryptionKey' }))
      .map(([id]) => id);
    expect(unencrypted).toEqual([]);
  });

  it("lets only this account's CloudWatch, EventBridge and SNS use the key to deliver", () => {
    const policy = template.Resources.EncryptionKey?.Properties?.KeyPolicy as {
      Statement: { Principal: { Service?: string[] }; Condition?: unknown }[];
    };
    const services = policy.Statement.filter((st) => st.Principal.Service);
    expect(services).toEqual([
      expect.objectContaining({
        Principal: { Service: ['cloudwatch.amazonaws.com', 'events.amazonaws.com', 'sns.amazonaws.com'] },
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      }),
    ]);
  });

  it('gives the key to every function that publishes to a topic or sends to a queue', () => {
    const missing = functions
      .filter(([, fn]) =>
        JSON.stringify(fn.Properties?.Policies ?? []).match(/SNSPublishMessagePolicy|SQSSendMessagePolicy/),
      )
      .filter(([, fn]) => !statementsOf(fn).some((st) => [st.Action].flat().includes('kms:GenerateDataKey')))
      .map(([id]) => id);
    expect(missing).toEqual([]);
  });

  it('sets a retention on every log group', () => {
    expect(
      ofType('AWS::Logs::LogGroup')
        .filter(([, r]) => r.Properties?.RetentionInDays === undefined)
        .map(([id]) => id),
    ).toEqual([]);
  });

  it('traces every function and the state machine', () => {
    expect(
      functions
        .filter(([, fn]) => fn.Properties?.Tracing !== undefined && fn.Properties.Tracing !== 'Active')
        .map(([id]) => id),
    ).toEqual([]);
    expect(template.Globals.Function.Tracing).toBe('Active');
    expect(template.Resources.RemediationStateMachine?.Properties?.Tracing).toEqual({ Enabled: true });
  });

  it('grants no function "*" as an action, and no mutating action on every resource', () => {
    const offenders = functions.flatMap(([id, fn]) =>
      statementsOf(fn)
        .filter(
          (st) =>
            [st.Action].flat().some((a) => a === '*' || a.endsWith(':*')) ||
            ([st.Action]
              .flat()
              .some(
                (a) => /:(Set|Update|Terminate|Stop|Create|Start|Put|Delete)/.test(a) && !ONLY_GRANTABLE_ON_STAR.has(a),
              ) &&
              st.Resource === '*'),
        )
        .map(() => id),
    );
    expect(offenders).toEqual([]);
  });
});

// cfn-lint (with the AWS SAM translator) is what `sam validate --lint` runs.
const cfnLint = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
const hasCfnLint = cfnLint.status === 0;
if (!hasCfnLint) {
  console.warn('cfn-lint is not installed: skipping template lint tests (pip install cfn-lint).');
}
const lint = (file: string) => spawnSync('cfn-lint', ['--format', 'parseable', file], { encoding: 'utf8', cwd: ROOT });

(hasCfnLint ? describe : describe.skip)('cfn-lint', () => {
  it.each(['template.yaml', 'templates/dashboard.yaml', 'pipeline/pipeline.yaml'])(
    'reports nothing on %s',
    (file) => {
      const result = lint(file);
      expect(result.stdout + result.stderr).toBe('');
      expect(result.status).toBe(0);
    },
    60_000,
  );

  it('fails a template with a misspelt property or an unknown resource type', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfn-lint-'));
    const original = readFileSync(join(ROOT, 'template.yaml'), 'utf8');
    const misspelt = join(dir, 'misspelt.yaml');
    writeFileSync(misspelt, original.replace('MessageRetentionPeriod: 1209600', 'MessageRetentionPeriodd: 1209600'));
    const unknownType = join(dir, 'unknown.yaml');
    writeFileSync(unknownType, original.replace('Type: AWS::SQS::Queue', 'Type: AWS::SQS::Queueue'));

    const misspeltResult = lint(misspelt);
    const unknownResult = lint(unknownType);

    expect(misspeltResult.status).not.toBe(0);
    expect(misspeltResult.stdout).toContain('MessageRetentionPeriodd');
    expect(unknownResult.status).not.toBe(0);
    expect(unknownResult.stdout).toContain('AWS::SQS::Queueue');
  }, 120_000);
});
