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
  fleet.addDeploymentGroup(
    'checkout-app',
    'checkout-prod',
    [
      { id: 'd-CHK000001', revision: checkoutRevision('3.1.0'), ageMinutes: 5 * 24 * 60 },
      { id: 'd-CHK000002', revision: checkoutRevision('3.2.0'), ageMinutes: 2 * 24 * 60 },
    ],
    120,
    { autoScalingGroups: ['checkout-asg'] },
  );
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
  fleet.addDeploymentGroup(
    'web-app',
    'web-prod',
    [
      { id: 'd-OLD000000', revision: revision('1.3.0'), ageMinutes: 14 * 24 * 60 },
      { id: 'd-GOOD00001', revision: revision('1.4.1'), ageMinutes: 3 * 24 * 60 },
    ],
    120,
    { autoScalingGroups: ['web-asg'] },
  );
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
  /** How many of its remediations wait for a human's approval (the drill answers for them). */
  approvalsNeeded?: number;
}

export const SCENARIOS: Record<string, Scenario> = {
  'stopped-instances': {
    name: 'stopped-instances',
    description:
      'half of api-asg stopped (2 of 4 instances): one is replaced at once, the second waits for a human (blast radius: 1 of 4 at a time)',
    expects: { remediated: 2 },
    approvalsNeeded: 1,
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
    approvalsNeeded: 1,
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
    "web-asg's network alarm (tagged selfhealing:action=scale-out) fires 8 minutes into the load, inside the scale-out's cooldown",
  expects: { remediated: 0, guardSkipped: 1 },
  inject: (fleet) => {
    // Slow to fire on purpose: it breaches with the CPU spike's load but alarms only 8 minutes in.
    // AWS/EC2 with the group's dimension: its tag may name that group (an identity the platform trusts).
    fleet.addAlarm({
      name: 'web-network-in-high',
      namespace: 'AWS/EC2',
      metricName: 'NetworkIn',
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
    'RemediationBudgetPerHour=2: four changes in one hour (a scale-out, which has a budget of its own, and three others); the third of those is held back, notify-only (BudgetExhausted)',
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
    "a careless teammate and a malicious tagger: alarms whose tags scale another team's group, roll back a deployment group they are not about, shrink a group with no floor, run a runbook the policy does not list, and a custom metric whose dimension names the database; every one is refused and a human is told",
  expects: { remediated: 0, refused: 5 },
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
    // A runbook the rule does not allow-list, on an instance the alarm does name.
    taggedAlarm(fleet, {
      name: 'web-i-0abc123def4567890-disk',
      namespace: 'AWS/EC2',
      dimensions: { InstanceId: 'i-0abc123def4567890' },
      tags: {
        'selfhealing:action': 'run-automation',
        'selfhealing:document': 'AWS-TerminateEC2Instance',
        'selfhealing:target': 'i-0abc123def4567890',
      },
    });
    // Anyone can publish a custom metric with any dimensions: this one names the standalone database.
    taggedAlarm(fleet, {
      name: 'partner-db-health',
      namespace: 'Custom/Partner',
      dimensions: { InstanceId: STATUS_INSTANCE },
      tags: { 'selfhealing:service': 'poweroff.target' },
    });
  },
};

// ------------------------------------------------------------------ hostile worlds (generated game days only)
// What `npm start -- --chaos` adds to a generated game day (local/sim/chaos.ts draws them from the
// seed): estates and people a safety kernel must stay safe in. Each expects nothing: the sweep
// judges them by the invariants of local/sim/invariants.ts alone.

const MANAGED = { 'selfhealing:managed': 'true' };
const SECOND = 1000;
const MINUTE_MS = 60 * SECOND;

/** A CPU alarm on a group (AWS/EC2 CPUUtilization by AutoScalingGroupName), as the default policy's high-cpu rule matches it. */
function groupCpuAlarm(fleet: Fleet, groupName: string, demand: number): void {
  fleet.addAlarm({
    name: `${groupName}-cpu-high`,
    namespace: 'AWS/EC2',
    metricName: 'CPUUtilization',
    dimensions: { AutoScalingGroupName: groupName },
    delivery: 'sns',
    condition: { kind: 'cpu', groupName, demand, threshold: 80 },
  });
}

/** A CodeDeploy service whose error-rate alarm (tagged with its deployment group) asks for a rollback. */
function deployedService(
  fleet: Fleet,
  application: string,
  deploymentGroup: string,
  options: { deploySeconds: number; recorded?: boolean },
): { alarm: string; revision: (version: string) => Revision } {
  const version = (v: string): Revision => ({
    revisionType: 'S3',
    s3Location: { bucket: `${application}-artifacts`, key: `${application}/${v}.zip`, bundleType: 'zip' },
  });
  const alarm = `${application}-5xx-high`;
  // The deployment group's own alarm configuration names the alarm: its owner says they belong together.
  fleet.addDeploymentGroup(
    application,
    deploymentGroup,
    [{ id: `d-${application.slice(0, 3).toUpperCase()}000001`, revision: version('1.0.0'), ageMinutes: 3 * 24 * 60 }],
    options.deploySeconds,
    { alarms: [alarm] },
  );
  fleet.addAlarm({
    name: alarm,
    namespace: 'AWS/ApplicationELB',
    metricName: 'HTTPCode_Target_5XX_Count',
    dimensions: { LoadBalancer: `app/${application}-alb/0123456789abcdef` },
    tags: {
      'selfhealing:codedeploy-application': application,
      'selfhealing:codedeploy-deployment-group': deploymentGroup,
    },
    delivery: 'sns',
    condition: options.recorded ? { kind: 'recorded' } : { kind: 'error-rate', application, deploymentGroup },
  });
  return { alarm, revision: version };
}

/** Text an attacker (or a careless exporter) puts in an alarm: bidi overrides, isolates, zero-width and line separators. */
const HOSTILE_CHARACTERS = '\u202E\u2066\u200B\u2028\u0085';
const padded = (text: string, length: number) => (text + 'x'.repeat(length)).slice(0, length);

SCENARIOS['group-above-cap'] = {
  name: 'group-above-cap',
  description:
    'batch-asg runs 40 instances (MaxSize 60), above the default scale-out cap of 20, and its CPU alarm fires',
  expects: { remediated: 0 },
  inject: (fleet) => {
    fleet.addGroup({ name: 'batch-asg', minSize: 2, maxSize: 60, desired: 40, launchSeconds: 90, tags: MANAGED });
    groupCpuAlarm(fleet, 'batch-asg', 4000);
  },
};

SCENARIOS['group-above-max'] = {
  name: 'group-above-max',
  description:
    'legacy-asg runs 12 instances with MaxSize 10, odd-asg has MinSize 8 above MaxSize 6 (AWS refuses both by API; estates drift): both CPU alarms fire',
  expects: { remediated: 0 },
  inject: (fleet) => {
    fleet.addGroup({ name: 'legacy-asg', minSize: 2, maxSize: 10, desired: 12, launchSeconds: 90, tags: MANAGED });
    groupCpuAlarm(fleet, 'legacy-asg', 1500);
    fleet.addGroup({ name: 'odd-asg', minSize: 8, maxSize: 6, desired: 6, launchSeconds: 90, tags: MANAGED });
    groupCpuAlarm(fleet, 'odd-asg', 1000);
  },
};

SCENARIOS['whole-group-stopped'] = {
  name: 'whole-group-stopped',
  description: 'every instance of jobs-asg (6) stopped at once: six stopped events in one second',
  expects: { remediated: 0 },
  inject: (fleet) => {
    fleet.addGroup({ name: 'jobs-asg', minSize: 2, maxSize: 8, desired: 6, launchSeconds: 90, tags: MANAGED });
    for (const instance of fleet.membersOf('jobs-asg')) fleet.stopInstance(instance.id);
  },
};

SCENARIOS['deploy-during-approval'] = {
  name: 'deploy-during-approval',
  description:
    'shop-app 1.1.0 raises the error rate; 30 s after its alarm fires, while the rollback waits for approval, a person deploys the fix 1.2.0 (10-minute deployments)',
  expects: { remediated: 0 },
  inject: (fleet) => {
    const shop = deployedService(fleet, 'shop-app', 'shop-prod', { deploySeconds: 600 });
    fleet.deploy('shop-app', 'shop-prod', shop.revision('1.1.0'), true);
    fleet.whenAlarm(
      shop.alarm,
      'ALARM',
      30 * SECOND,
      () => void fleet.deploy('shop-app', 'shop-prod', shop.revision('1.2.0'), false),
    );
  },
};

SCENARIOS['alarm-insufficient-data'] = {
  name: 'alarm-insufficient-data',
  description:
    "pay-app's 5XX count alarm fires 4 minutes after 2.1.0; 20 s later the errors stop (OK), 20 s after that it has no datapoints (INSUFFICIENT_DATA), while the rollback waits for approval",
  expects: { remediated: 0 },
  inject: (fleet) => {
    const pay = deployedService(fleet, 'pay-app', 'pay-prod', { deploySeconds: 120, recorded: true });
    fleet.deploy('pay-app', 'pay-prod', pay.revision('2.1.0'), true);
    fleet.after(4 * MINUTE_MS, () =>
      fleet.raiseAlarm(pay.alarm, 'Threshold Crossed: 1 datapoint [240.0] was greater than the threshold (50.0)'),
    );
    fleet.whenAlarm(pay.alarm, 'ALARM', 20 * SECOND, () =>
      fleet.changeAlarmState(
        pay.alarm,
        'OK',
        'Threshold Crossed: 1 datapoint [0.0] was not greater than the threshold (50.0)',
      ),
    );
    fleet.whenAlarm(pay.alarm, 'ALARM', 40 * SECOND, () =>
      fleet.changeAlarmState(
        pay.alarm,
        'INSUFFICIENT_DATA',
        'Insufficient Data: 1 datapoint was unknown (no errors, no datapoints)',
      ),
    );
  },
};

/** A group whose scale-out (2 → 4, +100 %) waits for approval, and a person who changes its capacity meanwhile. */
function capacityChangedDuringApproval(direction: 'raised' | 'lowered', to: number): Scenario {
  return {
    name: `capacity-${direction}-during-approval`,
    description: `cache-asg's CPU alarm asks for 2 → 4 (over the approval threshold); 30 s into the wait a person (or target tracking) sets it to ${to}`,
    expects: { remediated: 0 },
    inject: (fleet) => {
      fleet.addGroup({ name: 'cache-asg', minSize: 1, maxSize: 10, desired: 2, launchSeconds: 90, tags: MANAGED });
      groupCpuAlarm(fleet, 'cache-asg', 300);
      fleet.whenAlarm('cache-asg-cpu-high', 'ALARM', 30 * SECOND, () => fleet.setDesiredCapacity('cache-asg', to));
    },
  };
}
SCENARIOS['capacity-raised-during-approval'] = capacityChangedDuringApproval('raised', 8);
SCENARIOS['capacity-lowered-during-approval'] = capacityChangedDuringApproval('lowered', 1);

SCENARIOS['custom-namespace-targets'] = {
  name: 'custom-namespace-targets',
  description: `alarms in namespaces anyone can write (Custom/Partner, SelfHealing/Attack) whose dimensions name the database ${STATUS_INSTANCE}, a worker and web-asg, tagged selfhealing:service=poweroff.target or selfhealing:action=scale-out`,
  expects: { remediated: 0 },
  inject: (fleet) => {
    taggedAlarm(fleet, {
      name: 'partner-db-health',
      namespace: 'Custom/Partner',
      dimensions: { InstanceId: STATUS_INSTANCE },
      tags: { 'selfhealing:service': 'poweroff.target' },
    });
    taggedAlarm(fleet, {
      name: 'attack-worker-health',
      namespace: 'SelfHealing/Attack',
      dimensions: { InstanceId: WORKER_INSTANCES[1] ?? '' },
      tags: { 'selfhealing:service': 'poweroff.target' },
    });
    taggedAlarm(fleet, {
      name: 'attack-web-load',
      namespace: 'SelfHealing/Attack',
      dimensions: { AutoScalingGroupName: 'web-asg' },
      tags: { 'selfhealing:action': 'scale-out', 'selfhealing:step': '2' },
    });
  },
};

/** Instances that do not exist, each named by an AWS/EC2 alarm tagged for the service-restart rule. */
export const GHOST_INSTANCES = Array.from({ length: 16 }, (_, i) => `i-0d0d0d0d0d00000${(i + 1).toString(16)}`);

SCENARIOS['budget-starved'] = {
  name: 'budget-starved',
  description: `${GHOST_INSTANCES.length} AWS/EC2 alarms naming instances that do not exist (selfhealing:service=x) fire at once, against an hourly budget of 20`,
  expects: { remediated: 0 },
  inject: (fleet) => {
    for (const instanceId of GHOST_INSTANCES)
      taggedAlarm(fleet, {
        name: `ghost-${instanceId}-health`,
        namespace: 'AWS/EC2',
        dimensions: { InstanceId: instanceId },
        tags: { 'selfhealing:service': 'x' },
      });
  },
};

SCENARIOS['manual-changes'] = {
  name: 'manual-changes',
  description: `an operator, by hand: rolls back web-app/web-prod, replaces ${API_INSTANCES[2] ?? ''}, and restarts both workers with AWS-RestartEC2Instance from two requests naming them in both orders`,
  expects: { remediated: 0 },
  inject: () => undefined,
  requests: [
    {
      action: { type: 'rollback-deployment', application: 'web-app', deploymentGroup: 'web-prod' },
      reason: 'Hostile: a rollback by hand',
      requestedBy: 'chaos',
    },
    {
      action: { type: 'replace-instance', instanceId: API_INSTANCES[2] },
      reason: 'Hostile: a replacement by hand',
      requestedBy: 'chaos',
    },
    ...[WORKER_INSTANCES, [...WORKER_INSTANCES].reverse()].map((instances, i) => ({
      action: {
        type: 'run-automation',
        documentName: 'AWS-RestartEC2Instance',
        parameters: { InstanceId: instances },
      },
      reason: `Hostile: restart both workers by hand (request ${i + 1})`,
      requestedBy: 'chaos',
    })),
  ],
};

SCENARIOS['manual-scale-in'] = {
  name: 'manual-scale-in',
  description:
    'an operator scales report-asg in 6 → 4 by hand and target tracking raises it to 10 30 s later; another scales edge-asg (6, MaxSize 7) in with a floor of 9, above its MaxSize',
  expects: { remediated: 0 },
  inject: (fleet) => {
    fleet.addGroup({ name: 'report-asg', minSize: 2, maxSize: 12, desired: 6, launchSeconds: 90, tags: MANAGED });
    fleet.addGroup({ name: 'edge-asg', minSize: 2, maxSize: 7, desired: 6, launchSeconds: 90, tags: MANAGED });
    fleet.after(30 * SECOND, () => fleet.setDesiredCapacity('report-asg', 10));
  },
  requests: [
    {
      action: { type: 'scale-in', autoScalingGroupName: 'report-asg', step: 2 },
      reason: 'Hostile: shrink report-asg by hand',
      requestedBy: 'chaos',
    },
    {
      action: { type: 'scale-in', autoScalingGroupName: 'edge-asg', step: 1, minCapacity: 9 },
      reason: 'Hostile: shrink edge-asg by hand, floor above its MaxSize',
      requestedBy: 'chaos',
    },
  ],
};

SCENARIOS['hostile-text'] = {
  name: 'hostile-text',
  description: `two notify-only alarms: one with a 255-character name holding ${[...HOSTILE_CHARACTERS].map((c) => `U+${c.codePointAt(0)?.toString(16).toUpperCase().padStart(4, '0') ?? ''}`).join(', ')}; one with a 40 KiB reason and 50 tags of 256-character values holding them (the text alone is over half the 64 KiB state bound); and text-app's 5XX alarm, whose name holds all but U+2028, asking an approver for a rollback`,
  expects: { remediated: 0 },
  inject: (fleet) => {
    const tags: Record<string, string> = { 'selfhealing:action': 'notify' };
    for (let i = 1; Object.keys(tags).length < 50; i++)
      tags[`hostile:tag-${String(i).padStart(2, '0')}`] = padded(`${HOSTILE_CHARACTERS}value ${i} `.repeat(20), 256);
    const reason = padded(`Threshold Crossed: ${HOSTILE_CHARACTERS}`.repeat(1700), 40 * 1024);
    // The name alone (ingest may refuse it: U+2028 ends a line), and the text that fits any name.
    for (const [name, alarmTags, alarmReason] of [
      [padded(`hostile-${HOSTILE_CHARACTERS}-alarm-`, 255), { 'selfhealing:action': 'notify' }, 'Threshold Crossed'],
      ['hostile-oversized-text', tags, reason],
    ] as const) {
      fleet.addAlarm({
        name,
        namespace: 'Custom/Hostile',
        metricName: 'Attack',
        dimensions: {},
        tags: alarmTags,
        delivery: 'sns',
        condition: { kind: 'recorded' },
      });
      fleet.raiseAlarm(name, alarmReason);
    }
    // What an approver reads: a rollback of text-app (a service of its own) asked for by an alarm
    // whose name reorders and breaks the text around it (U+2028 left out: it fails the ARN check).
    fleet.addDeploymentGroup('text-app', 'text-prod', [
      { id: 'd-TXT000001', revision: textRevision('1.0.0'), ageMinutes: 5 * 24 * 60 },
      { id: 'd-TXT000002', revision: textRevision('1.1.0'), ageMinutes: 60 },
    ]);
    const approverAlarm = `text-app-5xx-${HOSTILE_CHARACTERS.replace('\u2028', '')}-approve-me`;
    fleet.addAlarm({
      name: approverAlarm,
      namespace: 'AWS/ApplicationELB',
      metricName: 'HTTPCode_Target_5XX_Count',
      dimensions: { LoadBalancer: 'app/text-alb/0123456789abcdef' },
      tags: {
        'selfhealing:codedeploy-application': 'text-app',
        'selfhealing:codedeploy-deployment-group': 'text-prod',
      },
      delivery: 'sns',
      condition: { kind: 'recorded' },
    });
    fleet.raiseAlarm(approverAlarm, `Threshold Crossed: 240 5XX${HOSTILE_CHARACTERS}Approve: yes`);
  },
};

function textRevision(version: string): Revision {
  return {
    revisionType: 'S3',
    s3Location: { bucket: 'text-app-artifacts', key: `text-app/${version}.zip`, bundleType: 'zip' },
  };
}

SCENARIOS['stopped-then-started'] = {
  name: 'stopped-then-started',
  description: `a person stopped ${API_INSTANCES[2] ?? ''} to resize it and started it again; the "stopped" event, a minute old, arrives when it runs`,
  expects: { remediated: 0 },
  inject: (fleet) => {
    // The stop and the start happened a minute ago; EventBridge delivers late (at least once, in
    // no particular order): the event of the stop, dated when it happened, arrives now.
    fleet.reportInstanceState(API_INSTANCES[2] ?? '', 'stopped', fleet.clock.now() - 60_000);
  },
};

SCENARIOS['event-from-2099'] = {
  name: 'event-from-2099',
  description: `an EventBridge notification that ${API_INSTANCES[3] ?? ''} (running) stopped, dated 2099`,
  expects: { remediated: 0 },
  inject: (fleet) => fleet.reportInstanceState(API_INSTANCES[3] ?? '', 'stopped', Date.parse('2099-01-01T00:00:00Z')),
};

/**
 * The hostile worlds a generated game day may add (local/sim/chaos.ts). `capacity-changed-during-approval`
 * stands for either direction: the generator picks `capacity-raised-…` or `capacity-lowered-…`.
 */
export const HOSTILE_WORLDS = [
  'group-above-cap',
  'group-above-max',
  'whole-group-stopped',
  'deploy-during-approval',
  'alarm-insufficient-data',
  'capacity-changed-during-approval',
  'custom-namespace-targets',
  'budget-starved',
  'manual-changes',
  'manual-scale-in',
  'hostile-text',
  'event-from-2099',
  'stopped-then-started',
];

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

function eventBridgeEnvelope(
  fleet: Fleet,
  detailType: string,
  source: string,
  resources: string[],
  detail: unknown,
  /** When the event says it happened, if not now (a skewed or forged sender). */
  at?: number,
) {
  return {
    version: '0',
    id: simulationRandom().uuid(),
    'detail-type': detailType,
    source,
    account: ACCOUNT,
    time: new Date(at ?? fleet.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
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

export function eventBridgeInstanceState(fleet: Fleet, instanceId: string, state: string, at?: number): unknown {
  return eventBridgeEnvelope(
    fleet,
    'EC2 Instance State-change Notification',
    'aws.ec2',
    [`arn:aws:ec2:${REGION}:${ACCOUNT}:instance/${instanceId}`],
    { 'instance-id': instanceId, state },
    at,
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
        `EC2 Instance State-change Notification: ${event.instanceId} ${event.state}${event.forged ? ` (dated ${new Date(event.at).toISOString()})` : ''}`,
        eventBridgeInstanceState(fleet, event.instanceId, event.state, event.forged ? event.at : undefined),
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
