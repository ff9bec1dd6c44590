import { simulationRandom } from './sim/random';
import {
  ACCOUNT,
  type Alarm,
  type Automation,
  type Clock,
  type Deployment,
  Fleet,
  type FleetEvent,
  REGION,
  type Revision,
} from './sandbox/fleet';

// The default game-day estate and the faults a drill injects into it, modelled on a classic
// chaos exercise: half an ASG's instances stopped, a CPU spike, a bad deployment raising the
// error rate, a failed system status check. Names match the fixtures in events/.

const revision = (version: string): Revision => ({
  revisionType: 'S3',
  s3Location: { bucket: 'web-app-artifacts', key: `web-app/${version}.zip`, bundleType: 'zip' },
});
const managed = { 'selfhealing:managed': 'true' };
const checkoutRevision = (version: string): Revision => ({
  revisionType: 'S3',
  s3Location: { bucket: 'checkout-artifacts', key: `checkout/${version}.zip`, bundleType: 'zip' },
});

export const STATUS_INSTANCE = 'i-0badc0ffee00001';
export const API_INSTANCES = [
  'i-0a11ce00000000001',
  'i-0a11ce00000000002',
  'i-0a11ce00000000003',
  'i-0a11ce00000000004',
];
export const WORKER_INSTANCES = ['i-0b0b0b00000000001', 'i-0b0b0b00000000002'];

/** A worker's service health alarm, tagged for the default policy's restart → replace → page ladder. */
function addServiceHealthAlarm(fleet: Fleet, instanceId: string, evaluationMinutes?: number): void {
  fleet.addAlarm({
    name: `worker-${instanceId}-service-health`,
    namespace: 'SelfHealing/Services',
    metricName: 'HealthCheckFailed',
    dimensions: { InstanceId: instanceId },
    tags: { 'selfhealing:service': 'worker' },
    delivery: 'sns',
    condition: { kind: 'service', instanceId },
    ...(evaluationMinutes ? { evaluationMinutes } : {}),
  });
}

export function gameDayFleet(clock: Clock): Fleet {
  const fleet = new Fleet(clock);
  fleet.addGroup({ name: 'web-asg', minSize: 2, maxSize: 10, desired: 4, launchSeconds: 90, tags: managed }, [
    'i-0abc123def4567890',
  ]);
  fleet.addGroup(
    { name: 'api-asg', minSize: 2, maxSize: 8, desired: 4, launchSeconds: 90, tags: managed },
    API_INSTANCES,
  );
  fleet.addGroup(
    { name: 'worker-asg', minSize: 2, maxSize: 6, desired: 2, launchSeconds: 90, tags: managed },
    WORKER_INSTANCES,
  );
  fleet.addGroup({ name: 'checkout-asg', minSize: 2, maxSize: 10, desired: 3, launchSeconds: 90, tags: managed });
  fleet.addStandaloneInstance(STATUS_INSTANCE);
  fleet.addDeploymentGroup('checkout-app', 'checkout-prod', [
    { id: 'd-CHK000001', revision: checkoutRevision('3.1.0'), ageMinutes: 5 * 24 * 60 },
    { id: 'd-CHK000002', revision: checkoutRevision('3.2.0'), ageMinutes: 2 * 24 * 60 },
  ]);
  fleet.addAlarm({
    name: 'checkout-cpu-high',
    namespace: 'AWS/EC2',
    metricName: 'CPUUtilization',
    dimensions: { AutoScalingGroupName: 'checkout-asg' },
    tags: {
      'selfhealing:codedeploy-application': 'checkout-app',
      'selfhealing:codedeploy-deployment-group': 'checkout-prod',
    },
    delivery: 'sns',
    condition: {
      kind: 'cpu',
      groupName: 'checkout-asg',
      demand: 150,
      threshold: 80,
      deployment: 'checkout-app/checkout-prod',
      badDemandFactor: 3,
    },
  });
  addServiceHealthAlarm(fleet, WORKER_INSTANCES[0] ?? '');
  fleet.addDeploymentGroup('web-app', 'web-prod', [
    { id: 'd-OLD000000', revision: revision('1.3.0'), ageMinutes: 14 * 24 * 60 },
    { id: 'd-GOOD00001', revision: revision('1.4.1'), ageMinutes: 3 * 24 * 60 },
  ]);
  fleet.addAlarm({
    name: 'web-cpu-high',
    namespace: 'AWS/EC2',
    metricName: 'CPUUtilization',
    dimensions: { AutoScalingGroupName: 'web-asg' },
    delivery: 'sns',
    condition: { kind: 'cpu', groupName: 'web-asg', demand: 240, threshold: 80 },
  });
  fleet.addAlarm({
    name: 'selfhealing-web-5xx-high',
    namespace: 'AWS/ApplicationELB',
    metricName: 'HTTPCode_Target_5XX_Count',
    dimensions: { LoadBalancer: 'app/web-alb/50dc6c495c0c9188' },
    tags: { 'selfhealing:codedeploy-application': 'web-app', 'selfhealing:codedeploy-deployment-group': 'web-prod' },
    delivery: 'eventbridge',
    condition: { kind: 'error-rate', application: 'web-app', deploymentGroup: 'web-prod' },
  });
  // The alarm of the events/ fixtures' status-check incident (npm run invoke with them).
  fleet.addAlarm({
    name: 'web-i-0abc123def4567890-system-status',
    namespace: 'AWS/EC2',
    metricName: 'StatusCheckFailed_System',
    dimensions: { InstanceId: 'i-0abc123def4567890' },
    delivery: 'sns',
    condition: { kind: 'recorded' },
  });
  fleet.setAlarmState(
    'web-i-0abc123def4567890-system-status',
    'ALARM',
    'Threshold Crossed: StatusCheckFailed_System 1 (threshold 1)',
  );
  fleet.addAlarm({
    name: `db-${STATUS_INSTANCE}-system-status`,
    namespace: 'AWS/EC2',
    metricName: 'StatusCheckFailed_System',
    dimensions: { InstanceId: STATUS_INSTANCE },
    delivery: 'sns',
    condition: { kind: 'system-status', instanceId: STATUS_INSTANCE },
  });
  return fleet;
}

export interface Expectations {
  /** Incidents remediated and verified. */
  remediated: number;
  /** Incidents the guard step skips (cooldown or in progress) or, when they come late, remediates and verifies. */
  guardSkipped?: number;
  /** Dry runs that report what they would have done. */
  dryRuns?: number;
  /** Escalation ladders that climbed at least one step and then recovered. */
  escalated?: number;
  /** Incidents held back by the remediation budget (notify-only). */
  budgetExhausted?: number;
  /** Shadow-mode decisions recorded. */
  shadow?: number;
  /** Requests the platform refuses (alarm tags asking for what their rule does not allow). */
  refused?: number;
}

export interface Scenario {
  name: string;
  description: string;
  expects: Expectations;
  /** Stack parameters the scenario needs (e.g. ShadowMode): it runs on its own, not in the game day. */
  parameters?: Record<string, string>;
  inject(fleet: Fleet): void;
  /** Manual executions an operator starts as part of the scenario. */
  requests?: unknown[];
  /** Its remediation waits for a human's approval (the drill answers for them). */
  needsApproval?: boolean;
}

export const SCENARIOS: Record<string, Scenario> = {
  'stopped-instances': {
    name: 'stopped-instances',
    description: 'half of api-asg stopped (2 of 4 instances)',
    expects: { remediated: 2 },
    inject: (fleet) => {
      fleet.stopInstance(API_INSTANCES[0] ?? '');
      fleet.stopInstance(API_INSTANCES[1] ?? '');
    },
  },
  'cpu-spike': {
    name: 'cpu-spike',
    description: 'web-asg demand jumps to 450 % of one instance (CPU 100 % on 4 instances)',
    expects: { remediated: 1 },
    inject: (fleet) => fleet.setDemand('web-asg', 450),
  },
  'bad-deployment': {
    name: 'bad-deployment',
    description: 'web-app 1.5.0 deployed to web-prod; its error rate climbs (rollback needs approval)',
    expects: { remediated: 1 },
    needsApproval: true,
    inject: (fleet) => void fleet.deploy('web-app', 'web-prod', revision('1.5.0'), true),
  },
  'status-check': {
    name: 'status-check',
    description: `${STATUS_INSTANCE} fails its system status check`,
    expects: { remediated: 1 },
    inject: (fleet) => fleet.failSystemCheck(STATUS_INSTANCE),
  },
};

SCENARIOS['second-alarm'] = {
  name: 'second-alarm',
  description:
    "web-asg's latency alarm (tagged selfhealing:action=scale-out) fires 8 minutes into the load, inside the scale-out's cooldown",
  expects: { remediated: 0, guardSkipped: 1 },
  inject: (fleet) => {
    // Slow to fire on purpose: it breaches with the CPU spike's load but alarms only 8 minutes in.
    fleet.addAlarm({
      name: 'web-latency-high',
      namespace: 'AWS/ApplicationELB',
      metricName: 'TargetResponseTime',
      dimensions: { AutoScalingGroupName: 'web-asg' },
      tags: { 'selfhealing:action': 'scale-out', 'selfhealing:target': 'web-asg', 'selfhealing:step': '2' },
      delivery: 'sns',
      evaluationMinutes: 8,
      condition: { kind: 'latency', groupName: 'web-asg', loadThreshold: 60 },
    });
    fleet.setDemand('web-asg', 450);
  },
};

SCENARIOS['manual-dry-run'] = {
  name: 'manual-dry-run',
  description: 'an operator asks, in dry run, what pre-scaling web-asg by 2 would do',
  expects: { remediated: 0, dryRuns: 1 },
  inject: () => undefined,
  requests: [
    {
      action: { type: 'scale-out', autoScalingGroupName: 'web-asg', step: 2, maxCapacity: 10 },
      reason: 'Game day: pre-scaling check',
      requestedBy: 'drill',
      dryRun: true,
    },
  ],
};

SCENARIOS['disk-full'] = {
  name: 'disk-full',
  description: `${WORKER_INSTANCES[0] ?? ''}'s disk fills up: its worker service fails; restarting the service will not help (escalation ladder)`,
  expects: { remediated: 1, escalated: 1 },
  inject: (fleet) => fleet.fillDisk(WORKER_INSTANCES[0] ?? ''),
};

SCENARIOS['cpu-regression'] = {
  name: 'cpu-regression',
  description:
    'checkout-app 3.3.0 deployed to checkout-prod triples CPU per request (change-aware: rollback, not scale-out)',
  expects: { remediated: 1 },
  inject: (fleet) => void fleet.deploy('checkout-app', 'checkout-prod', checkoutRevision('3.3.0'), true),
};

SCENARIOS.budget = {
  name: 'budget',
  description:
    'RemediationBudgetPerHour=2: three faults in one hour; the third is held back, notify-only (BudgetExhausted)',
  expects: { remediated: 2, budgetExhausted: 1 },
  parameters: { RemediationBudgetPerHour: '2' },
  inject: (fleet) => {
    fleet.setDemand('web-asg', 450);
    fleet.failSystemCheck(STATUS_INSTANCE);
    fleet.fillDisk(WORKER_INSTANCES[1] ?? '');
    addServiceHealthAlarm(fleet, WORKER_INSTANCES[1] ?? '', 4);
  },
};

SCENARIOS.shadow = {
  name: 'shadow',
  description:
    'ShadowMode=true: a CPU burst on web-asg that passes by itself in 5 minutes, and a failed system status check that does not',
  expects: { remediated: 0, shadow: 2 },
  parameters: { ShadowMode: 'true' },
  inject: (fleet) => {
    fleet.setDemand('web-asg', 450);
    fleet.failSystemCheck(STATUS_INSTANCE);
    fleet.after(5 * 60_000, () => fleet.setDemand('web-asg', 240));
  },
};

/** A tagged alarm the attacker controls: it goes to ALARM at once, asking for what its tags say. */
function taggedAlarm(
  fleet: Fleet,
  alarm: { name: string; namespace: string; dimensions: Record<string, string>; tags: Record<string, string> },
): void {
  fleet.addAlarm({ ...alarm, metricName: 'Attack', delivery: 'sns', condition: { kind: 'recorded' } });
  fleet.raiseAlarm(alarm.name, 'Threshold Crossed: set by whoever can tag an alarm');
}

SCENARIOS['attack'] = {
  name: 'attack',
  description:
    "a careless teammate and a malicious tagger: alarms whose tags scale another team's group, roll back a deployment group they are not about, and shrink a group with no floor; every one is refused and a human is told",
  expects: { remediated: 0, refused: 3 },
  inject: (fleet) => {
    taggedAlarm(fleet, {
      name: 'batch-queue-depth',
      namespace: 'AWS/SQS',
      dimensions: { QueueName: 'batch-jobs' },
      tags: { 'selfhealing:action': 'scale-out', 'selfhealing:target': 'web-asg', 'selfhealing:step': '3' },
    });
    taggedAlarm(fleet, {
      name: 'partner-api-errors',
      namespace: 'Custom/Partner',
      dimensions: { Partner: 'acme' },
      tags: { 'selfhealing:action': 'rollback-deployment', 'selfhealing:target': 'web-app/web-prod' },
    });
    taggedAlarm(fleet, {
      name: 'web-asg-cost-high',
      namespace: 'AWS/EC2',
      dimensions: { AutoScalingGroupName: 'web-asg' },
      tags: { 'selfhealing:action': 'scale-in', 'selfhealing:step': '2' },
    });
  },
};

export const GAME_DAY = [
  'stopped-instances',
  'cpu-spike',
  'second-alarm',
  'bad-deployment',
  'status-check',
  'disk-full',
  'cpu-regression',
  'manual-dry-run',
];
/** The faults of the chaos exercise itself (the game day without the guard and dry-run demonstrations). */
export const CORE_FAULTS = [
  'stopped-instances',
  'cpu-spike',
  'bad-deployment',
  'status-check',
  'disk-full',
  'cpu-regression',
];

// ------------------------------------------------------------------ inbound events, as AWS sends them

const awsTime = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000');

export function snsAlarmNotification(fleet: Fleet, alarm: Alarm, previousState: string): unknown {
  const message = {
    AlarmName: alarm.name,
    AlarmDescription: null,
    AWSAccountId: ACCOUNT,
    NewStateValue: alarm.state,
    NewStateReason: alarm.reason,
    StateChangeTime: awsTime(alarm.updatedAt),
    Region: 'US East (N. Virginia)',
    AlarmArn: fleet.alarmArn(alarm.name),
    OldStateValue: previousState,
    Trigger: {
      MetricName: alarm.metricName,
      Namespace: alarm.namespace,
      StatisticType: 'Statistic',
      Statistic: 'AVERAGE',
      Dimensions: Object.entries(alarm.dimensions).map(([name, value]) => ({ value, name })),
      Period: 60,
      EvaluationPeriods: 2,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 80,
    },
    ...(Object.keys(alarm.tags).length > 0 ? { AlarmTags: alarm.tags, AlarmTagsStatus: 'OK' } : {}),
  };
  const topicArn = `arn:aws:sns:${REGION}:${ACCOUNT}:AlarmTopic`;
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: `${topicArn}:${simulationRandom().uuid()}`,
        Sns: {
          Type: 'Notification',
          MessageId: simulationRandom().uuid(),
          TopicArn: topicArn,
          Subject: `${alarm.state}: "${alarm.name}" in US East (N. Virginia)`.slice(0, 100),
          Message: JSON.stringify(message),
          Timestamp: new Date(fleet.clock.now()).toISOString(),
          SignatureVersion: '1',
          Signature: 'sandbox',
          SigningCertUrl: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-sandbox.pem',
          UnsubscribeUrl: `https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${topicArn}`,
          MessageAttributes: {},
        },
      },
    ],
  };
}

function eventBridgeEnvelope(fleet: Fleet, detailType: string, source: string, resources: string[], detail: unknown) {
  return {
    version: '0',
    id: simulationRandom().uuid(),
    'detail-type': detailType,
    source,
    account: ACCOUNT,
    time: new Date(fleet.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: REGION,
    resources,
    detail,
  };
}

export function eventBridgeAlarmStateChange(fleet: Fleet, alarm: Alarm, previousState: string): unknown {
  return eventBridgeEnvelope(fleet, 'CloudWatch Alarm State Change', 'aws.cloudwatch', [fleet.alarmArn(alarm.name)], {
    alarmName: alarm.name,
    state: { value: alarm.state, reason: alarm.reason, timestamp: awsTime(alarm.updatedAt) },
    previousState: { value: previousState },
    configuration: {
      metrics: [
        {
          id: 'm1',
          metricStat: {
            metric: { namespace: alarm.namespace, name: alarm.metricName, dimensions: alarm.dimensions },
            period: 60,
            stat: 'Sum',
          },
          returnData: true,
        },
      ],
    },
    ...(Object.keys(alarm.tags).length > 0 ? { alarmTags: alarm.tags } : {}),
  });
}

export function eventBridgeInstanceState(fleet: Fleet, instanceId: string, state: string): unknown {
  return eventBridgeEnvelope(
    fleet,
    'EC2 Instance State-change Notification',
    'aws.ec2',
    [`arn:aws:ec2:${REGION}:${ACCOUNT}:instance/${instanceId}`],
    { 'instance-id': instanceId, state },
  );
}

const CODEDEPLOY_STATE: Record<Deployment['status'], string> = {
  Created: 'CREATED',
  InProgress: 'START',
  Succeeded: 'SUCCESS',
  Failed: 'FAILURE',
  Stopped: 'STOPPED',
};

export function eventBridgeDeploymentState(fleet: Fleet, d: Deployment): unknown {
  return eventBridgeEnvelope(
    fleet,
    'CodeDeploy Deployment State-change Notification',
    'aws.codedeploy',
    [
      `arn:aws:codedeploy:${REGION}:${ACCOUNT}:deploymentgroup:${d.applicationName}/${d.deploymentGroupName}`,
      `arn:aws:codedeploy:${REGION}:${ACCOUNT}:application:${d.applicationName}`,
    ],
    {
      region: REGION,
      deploymentId: d.deploymentId,
      instanceGroupId: d.deploymentGroupName,
      deploymentGroup: d.deploymentGroupName,
      state: CODEDEPLOY_STATE[d.status],
      application: d.applicationName,
    },
  );
}

export function eventBridgeGroupActivity(
  fleet: Fleet,
  groupName: string,
  instanceId: string,
  activity: 'launch' | 'terminate',
): unknown {
  const verb = activity === 'launch' ? 'Launch' : 'Terminate';
  return eventBridgeEnvelope(
    fleet,
    `EC2 Instance ${verb} Successful`,
    'aws.autoscaling',
    [
      `arn:aws:autoscaling:${REGION}:${ACCOUNT}:autoScalingGroup:00000000-0000-0000-0000-000000000000:autoScalingGroupName/${groupName}`,
      `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/${instanceId}`,
    ],
    {
      StatusCode: 'InProgress',
      AutoScalingGroupName: groupName,
      ActivityId: `${instanceId}-${activity}`,
      RequestId: `${instanceId}-${activity}`,
      StatusMessage: '',
      EC2InstanceId: instanceId,
      Cause: `An instance was ${activity === 'launch' ? 'started' : 'taken out of service'} by the group.`,
      Details: { 'Availability Zone': `${REGION}a` },
    },
  );
}

export function eventBridgeAutomationStatus(fleet: Fleet, a: Automation): unknown {
  return eventBridgeEnvelope(
    fleet,
    'EC2 Automation Execution Status-change Notification',
    'aws.ssm',
    [`arn:aws:ssm:${REGION}:${ACCOUNT}:automation-execution/${a.executionId}`],
    {
      ExecutionId: a.executionId,
      Definition: a.documentName,
      DefinitionVersion: 1,
      Status: a.status,
      StartTime: awsTime(a.startTime),
      EndTime: awsTime(fleet.clock.now()),
      ExecutedBy: `arn:aws:iam::${ACCOUNT}:role/AutomationRole`,
    },
  );
}

/** How AWS delivers what the fleet raises: an alarm by its SNS topic or EventBridge, the rest by EventBridge. */
export function inboundOfFleetEvent(
  fleet: Fleet,
  event: FleetEvent,
): { channel: 'sns' | 'eventbridge'; description: string; event: unknown } {
  const viaEventBridge = (description: string, body: unknown) => ({
    channel: 'eventbridge' as const,
    description,
    event: body,
  });
  switch (event.kind) {
    case 'alarm': {
      const description = `alarm ${event.alarm.name} ${event.previousState} → ${event.alarm.state}`;
      return event.alarm.delivery === 'sns'
        ? { channel: 'sns', description, event: snsAlarmNotification(fleet, event.alarm, event.previousState) }
        : viaEventBridge(
            `CloudWatch Alarm State Change: ${description}`,
            eventBridgeAlarmStateChange(fleet, event.alarm, event.previousState),
          );
    }
    case 'instance-state':
      return viaEventBridge(
        `EC2 Instance State-change Notification: ${event.instanceId} ${event.state}`,
        eventBridgeInstanceState(fleet, event.instanceId, event.state),
      );
    case 'deployment':
      return viaEventBridge(
        `CodeDeploy Deployment State-change Notification: ${event.deployment.deploymentId} ${event.deployment.status}`,
        eventBridgeDeploymentState(fleet, event.deployment),
      );
    case 'automation':
      return viaEventBridge(
        `EC2 Automation Execution Status-change Notification: ${event.automation.executionId} ${event.automation.status}`,
        eventBridgeAutomationStatus(fleet, event.automation),
      );
    case 'group-activity':
      return viaEventBridge(
        `EC2 Instance ${event.activity === 'launch' ? 'Launch' : 'Terminate'} Successful: ${event.groupName} ${event.instanceId}`,
        eventBridgeGroupActivity(fleet, event.groupName, event.instanceId, event.activity),
      );
  }
}
