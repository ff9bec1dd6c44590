import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { matchesPattern } from '../../local/eventbridge/pattern';
import { gameDayFleet } from '../../local/scenarios';
import { SERVED_OPERATIONS, type Sandbox } from '../../local/sandbox/server';
import { type Simulation, startSimulation } from '../../local/sim/simulation';
import { realNow } from '../../local/sim/virtual-clock';

// Independent implementations check the sandbox: botocore (Python's AWS client) calls every
// operation it serves; moto_server answers the same calls for comparison; moto's EventBridge
// pattern logic judges the same cases as our matcher. They need python3 with boto3 and moto.
const HERE = dirname(fileURLToPath(import.meta.url));
const SCRIPT = join(HERE, 'conformance.py');
const CASES = join(HERE, 'pattern-cases.json');
const python = spawnSync('python3', ['-c', 'import boto3, moto'], { encoding: 'utf8' });
const available = python.status === 0;
if (!available) {
  console.warn(
    'python3 with boto3 and moto not found: skipping the conformance checks against botocore and moto (pip install boto3 "moto[server]").',
  );
}

interface Attempt {
  ok: boolean;
  code?: string;
  status?: number;
  shape?: string[];
  response?: Record<string, unknown>;
}

function runPython(args: string[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    // Asynchronous on purpose: the sandbox answering these calls runs in this process.
    const child = spawn('python3', [SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) =>
      code === 0
        ? resolve(JSON.parse(stdout))
        : reject(new Error(`conformance.py ${args[0]} exited ${code}: ${stderr.slice(-2000)}`)),
    );
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = realNow() + timeoutMs; // Date is on virtual time here
  for (;;) {
    try {
      await fetch(url);
      return;
    } catch {
      if (realNow() > deadline) throw new Error(`${url} did not come up`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

(available ? describe : describe.skip)('conformance with independent implementations', () => {
  let simulation: Simulation;
  let sandbox: Sandbox;
  let moto: ReturnType<typeof spawn> | undefined;
  let motoUrl = '';

  beforeAll(async () => {
    // Virtual time, held still while botocore calls: what it reads does not depend on machine load.
    simulation = await startSimulation({ fleet: gameDayFleet });
    sandbox = simulation.sandbox;
    const port = await freePort();
    motoUrl = `http://127.0.0.1:${port}`;
    moto = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
    await waitForHttp(`${motoUrl}/moto-api/`, 20_000);
  }, 40_000);

  afterAll(async () => {
    moto?.kill('SIGTERM');
    await simulation.finish();
  });

  it('botocore can call every operation the sandbox serves, with AWS errors where AWS would give them', async () => {
    const calls = (await runPython(['calls', sandbox.url])) as Record<string, Attempt>;
    const failures = Object.fromEntries(
      Object.entries(calls)
        .filter(([, a]) => !a.ok)
        .map(([op, a]) => [op, a.code]),
    );

    expect(failures).toEqual({
      'DynamoDB.UpdateItem (condition fails)': 'ConditionalCheckFailedException',
      'StepFunctions.StartExecution (same name)': 'ExecutionAlreadyExists',
      'StepFunctions.SendTaskSuccess': 'TaskDoesNotExist',
      'StepFunctions.SendTaskFailure': 'TaskDoesNotExist',
      'AutoScaling.TerminateInstanceInAutoScalingGroup (not served)': 'UnknownOperationException',
      'SSM.ListCommands (not served)': 'UnknownOperationException',
      'AutoScaling.SetInstanceHealth (Sick)': 'ValidationError',
      'AutoScaling.SetDesiredCapacity (unknown group)': 'ValidationError',
      'CloudWatch.SetAlarmState (unknown alarm)': 'ResourceNotFound',
      'CloudWatch.SetAlarmState (bad state)': 'ValidationError',
      'SSM.GetParameter (unknown)': 'ParameterNotFound',
      'SSM.PutParameter (exists, no Overwrite)': 'ParameterAlreadyExists',
      'SSM.GetAutomationExecution (unknown)': 'AutomationExecutionNotFoundException',
      'SSM.StartAutomationExecution (unknown document)': 'AutomationDefinitionNotFoundException',
      'CodeDeploy.GetDeploymentGroup (unknown)': 'DeploymentGroupDoesNotExistException',
      'CodeDeploy.GetDeployment (unknown)': 'DeploymentDoesNotExistException',
      'SNS.Publish (unknown topic)': 'NotFound',
      'SQS.SendMessage (unknown queue)': 'AWS.SimpleQueueService.NonExistentQueue',
      'StepFunctions.DescribeStateMachine (unknown)': 'StateMachineDoesNotExist',
      'StepFunctions.GetExecutionHistory (unknown)': 'ExecutionDoesNotExist',
      'StepFunctions.DescribeExecution (unknown)': 'ExecutionDoesNotExist',
      'StepFunctions.StartExecution (invalid input)': 'InvalidExecutionInput',
      'StepFunctions.StartExecution (invalid name)': 'InvalidName',
      'StepFunctions.StartExecution (unknown machine)': 'StateMachineDoesNotExist',
    });
    // Every operation the sandbox serves is called at least once.
    const called = new Set(Object.keys(calls).map((name) => name.split(' (')[0]));
    expect(SERVED_OPERATIONS.filter((op) => !called.has(op))).toEqual([]);
    // Filters and pages as AWS documents them.
    const names = (key: string, list: string, field: string) =>
      ((calls[key]?.response?.[list] ?? []) as Record<string, string>[]).map((item) => item[field]);
    expect(names('CloudWatch.DescribeAlarms (AlarmNamePrefix)', 'MetricAlarms', 'AlarmName')).toEqual([
      'botocore-errors',
    ]);
    expect(calls['CloudWatch.DescribeAlarms (AlarmNamePrefix)']?.response?.MetricAlarms).toEqual([
      expect.objectContaining({ StateValue: 'INSUFFICIENT_DATA', Threshold: 10, EvaluationPeriods: 1 }),
    ]);
    expect(names('CloudWatch.DescribeAlarms (StateValue ALARM)', 'MetricAlarms', 'AlarmName')).toContain(
      'botocore-errors',
    );
    expect(new Set(names('CloudWatch.DescribeAlarms (StateValue ALARM)', 'MetricAlarms', 'StateValue'))).toEqual(
      new Set(['ALARM']),
    );
    expect(names('CloudWatch.DescribeAlarms (AlarmTypes CompositeAlarm)', 'MetricAlarms', 'AlarmName')).toEqual([]);
    const firstAlarm = names('CloudWatch.DescribeAlarms (MaxRecords 1)', 'MetricAlarms', 'AlarmName');
    const secondAlarm = names('CloudWatch.DescribeAlarms (NextToken)', 'MetricAlarms', 'AlarmName');
    expect([firstAlarm.length, secondAlarm.length]).toEqual([1, 1]);
    expect(firstAlarm[0]).not.toBe(secondAlarm[0]);
    const firstGroup = names(
      'AutoScaling.DescribeAutoScalingGroups (MaxRecords 1)',
      'AutoScalingGroups',
      'AutoScalingGroupName',
    );
    const secondGroup = names(
      'AutoScaling.DescribeAutoScalingGroups (NextToken)',
      'AutoScalingGroups',
      'AutoScalingGroupName',
    );
    expect([firstGroup.length, secondGroup.length]).toEqual([1, 1]);
    expect(firstGroup[0]).not.toBe(secondGroup[0]);
    expect(
      names('AutoScaling.DescribeAutoScalingGroups (tag filter)', 'AutoScalingGroups', 'AutoScalingGroupName'),
    ).toEqual([]);
    expect(
      names('AutoScaling.DescribeAutoScalingGroups (unknown name)', 'AutoScalingGroups', 'AutoScalingGroupName'),
    ).toEqual([]);
    expect(names('StepFunctions.ListExecutions', 'executions', 'name')).toContain('botocore-dry-run');
    expect(names('StepFunctions.ListStateMachines', 'stateMachines', 'name')).toEqual(['RemediationStateMachine']);
    expect(JSON.parse(String(calls['StepFunctions.DescribeStateMachine']?.response?.definition)).StartAt).toBe(
      'Plan Remediation',
    );
    // The execution is still running (simulated time stands still here): its history so far.
    const history = (calls['StepFunctions.GetExecutionHistory']?.response?.events ?? []) as Record<string, unknown>[];
    expect(history.slice(0, 2)).toEqual([
      expect.objectContaining({ id: 1, type: 'ExecutionStarted' }),
      expect.objectContaining({
        id: 2,
        previousEventId: 1,
        type: 'TaskStateEntered',
        stateEnteredEventDetails: expect.objectContaining({ name: 'Plan Remediation' }),
      }),
    ]);
    expect(names('StepFunctions.ListExecutions (statusFilter, maxResults 1)', 'executions', 'status')).toEqual([
      'RUNNING',
    ]);
    expect(calls['DynamoDB.GetItem']?.response?.Item).toEqual({
      target: { S: 'asg:botocore' },
      lockedBy: { S: 'botocore' },
    });
    const group = (
      calls['AutoScaling.DescribeAutoScalingGroups']?.response?.AutoScalingGroups as {
        DesiredCapacity: number;
        Instances: unknown[];
      }[]
    )[0];
    expect(group).toMatchObject({ DesiredCapacity: 4 });
    expect(group?.Instances).toHaveLength(4);
    // The managed instances asked for that exist (the fleet's), none that do not.
    expect(names('SSM.DescribeInstanceInformation', 'InstanceInformationList', 'InstanceId')).toEqual([
      'i-0badc0ffee00001',
    ]);
    expect(calls['SSM.StartAutomationExecution (same ClientToken)']?.response?.AutomationExecutionId).toBe(
      calls['SSM.StartAutomationExecution']?.response?.AutomationExecutionId,
    );
    expect(calls['CloudWatch.DescribeAlarms']?.response?.MetricAlarms).toEqual([
      expect.objectContaining({ AlarmName: 'web-cpu-high', StateValue: 'OK' }),
    ]);
    expect(sandbox.calls.filter((c) => c.operation === 'AutoScaling.SetDesiredCapacity').map((c) => c.params)).toEqual([
      { AutoScalingGroupName: 'web-asg', DesiredCapacity: '5', HonorCooldown: 'false' },
      { AutoScalingGroupName: 'no-such-asg', DesiredCapacity: '1' },
    ]);
  }, 60_000);

  it('answers with the shapes moto_server gives for the same calls, for every field the functions read', async () => {
    const {
      moto: fromMoto,
      sandbox: fromSandbox,
      motoErrors,
      sandboxErrors,
    } = (await runPython(['shapes', sandbox.url, motoUrl])) as Record<string, Record<string, Attempt>>;
    // The same bad calls: the sandbox's code and HTTP status are moto's, wherever moto answers one.
    const errorCodes = (from: Record<string, Attempt> | undefined) =>
      Object.fromEntries(Object.entries(from ?? {}).map(([op, a]) => [op, a.ok ? 'ok' : `${a.code} ${a.status}`]));
    const compared = Object.entries(errorCodes(motoErrors)).filter(([, code]) => !code.startsWith('null'));
    expect(compared.length).toBeGreaterThanOrEqual(8);
    expect(Object.fromEntries(compared.map(([op]) => [op, errorCodes(sandboxErrors)[op]]))).toEqual(
      Object.fromEntries(compared),
    );
    const READ_BY_THE_FUNCTIONS: Record<string, string[]> = {
      'AutoScaling.DescribeAutoScalingGroups': [
        'AutoScalingGroups[].AutoScalingGroupName',
        'AutoScalingGroups[].MinSize',
        'AutoScalingGroups[].MaxSize',
        'AutoScalingGroups[].DesiredCapacity',
        'AutoScalingGroups[].Instances[].InstanceId',
        'AutoScalingGroups[].Instances[].LifecycleState',
        'AutoScalingGroups[].Instances[].HealthStatus',
      ],
      'AutoScaling.DescribeAutoScalingInstances': [
        'AutoScalingInstances[].InstanceId',
        'AutoScalingInstances[].AutoScalingGroupName',
      ],
      'AutoScaling.SetDesiredCapacity': [],
      'AutoScaling.SetInstanceHealth': [],
      'CloudWatch.DescribeAlarms': [
        'MetricAlarms[].AlarmName',
        'MetricAlarms[].StateValue',
        'MetricAlarms[].StateUpdatedTimestamp',
      ],
      'CodeDeploy.GetDeploymentGroup': [
        'deploymentGroupInfo.applicationName',
        'deploymentGroupInfo.deploymentGroupName',
      ],
      'CodeDeploy.ListDeployments': ['deployments'],
      'CodeDeploy.GetDeployment': [
        'deploymentInfo.deploymentId',
        'deploymentInfo.status',
        'deploymentInfo.revision.s3Location.key',
        'deploymentInfo.createTime',
      ],
      'CodeDeploy.BatchGetDeployments': [
        'deploymentsInfo[].deploymentId',
        'deploymentsInfo[].revision.revisionType',
        'deploymentsInfo[].createTime',
      ],
      'SNS.Publish': ['MessageId'],
      'SQS.SendMessage': ['MessageId', 'MD5OfMessageBody'],
    };
    for (const [operation, fields] of Object.entries(READ_BY_THE_FUNCTIONS)) {
      const a = fromMoto?.[operation];
      const b = fromSandbox?.[operation];
      expect([operation, a?.ok, b?.ok]).toEqual([operation, true, true]);
      expect([operation, fields.filter((f) => !a?.shape?.includes(f))]).toEqual([operation, []]);
      expect([operation, fields.filter((f) => !b?.shape?.includes(f))]).toEqual([operation, []]);
    }
  }, 60_000);

  it("judges the shared table of EventBridge patterns as moto's implementation does", async () => {
    const table = (await import(CASES, { with: { type: 'json' } })) as {
      default: { event: unknown; cases: { name: string; pattern: unknown; expected: boolean }[] };
    };
    const fromMoto = (await runPython(['patterns', CASES])) as { name: string; moto: boolean }[];
    const verdicts = table.default.cases.map((c, i) => ({
      name: c.name,
      expected: c.expected,
      ours: matchesPattern(c.pattern, table.default.event),
      moto: fromMoto[i]?.moto,
    }));

    expect(verdicts.filter((v) => v.ours !== v.expected || v.moto !== v.expected)).toEqual([]);
    expect(verdicts).toHaveLength(20);
  }, 60_000);
});
