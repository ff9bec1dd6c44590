import { createHash } from 'node:crypto';
import { ProtocolError } from './protocols';
import { realNow } from '../sim/virtual-clock';

// An in-memory AWS estate that reacts the way AWS would, on a simulated clock: Auto Scaling
// groups launch and replace instances, alarms evaluate their metric every minute, CodeDeploy
// deployments run and roll back, SSM automations run and finish.

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';

export interface Clock {
  now(): number;
  /** The simulated time of a real Date.now() reading (event-log timestamps). */
  at(realMs: number): number;
}

/** Simulated time running `speed` times faster than real time (1000: a simulated minute per 60 ms). */
export class ScaledClock implements Clock {
  private readonly realStart = realNow();
  constructor(
    private readonly simStart: number,
    private readonly speed: number,
  ) {}
  now(): number {
    return this.at(realNow());
  }
  at(realMs: number): number {
    return this.simStart + (realMs - this.realStart) * this.speed;
  }
}

export interface Instance {
  id: string;
  groupName?: string;
  lifecycle: 'Pending' | 'InService' | 'Terminating' | 'Terminated';
  health: 'Healthy' | 'Unhealthy';
  ec2State: 'pending' | 'running' | 'stopped' | 'terminated';
  readyAt: number;
  goneAt?: number;
  systemCheckFailing: boolean;
  /** When it last stopped (its Systems Manager agent reported in last then). */
  stoppedAt?: number;
  /** Its disk filled up: the service on it fails, and restarting the service does not help. */
  diskFull?: boolean;
}

export interface Group {
  name: string;
  minSize: number;
  maxSize: number;
  desired: number;
  launchSeconds: number;
  tags: Record<string, string>;
}

type AlarmCondition =
  /** `deployment` ("application/group"): a bad revision live there multiplies the demand by `badDemandFactor`. */
  | { kind: 'cpu'; groupName: string; demand: number; threshold: number; deployment?: string; badDemandFactor?: number }
  | { kind: 'service'; instanceId: string }
  /** Replayed alarms: their state follows the recording, nothing else. */
  | { kind: 'recorded' }
  | { kind: 'latency'; groupName: string; loadThreshold: number }
  | { kind: 'error-rate'; application: string; deploymentGroup: string }
  | { kind: 'system-status'; instanceId: string };

export interface Alarm {
  name: string;
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  tags: Record<string, string>;
  state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  reason: string;
  updatedAt: number;
  /** Delivery of state changes: the alarm action (SNS topic) or EventBridge only. */
  delivery: 'sns' | 'eventbridge';
  /** Minutes on the other side of the threshold before the state changes (default 2). */
  evaluationMinutes?: number;
  /** An operator's alarm (PutMetricAlarm): its actions and settings, as DescribeAlarms returns them. */
  actions?: string[];
  settings?: {
    period: number;
    evaluationPeriods: number;
    statistic: string;
    comparisonOperator: string;
    threshold: number;
  };
  condition: AlarmCondition;
  breachingSince?: number;
  okSince?: number;
}

export interface Revision {
  revisionType: 'S3';
  s3Location: { bucket: string; key: string; bundleType: 'zip' };
}

export interface Deployment {
  deploymentId: string;
  applicationName: string;
  deploymentGroupName: string;
  status: 'Created' | 'InProgress' | 'Succeeded' | 'Failed' | 'Stopped';
  revision: Revision;
  createTime: number;
  completeTime?: number;
  finishAt: number;
  description?: string;
  rollbackDeploymentId?: string;
  creator: 'user' | 'codeDeployRollback';
}

export interface DeploymentGroupState {
  applicationName: string;
  deploymentGroupName: string;
  liveRevision?: Revision;
  badRevisionKeys: Set<string>;
  deploySeconds: number;
  tags: Record<string, string>;
  /** What its owner says it is about: the Auto Scaling groups it deploys to, the alarms that watch its deployments. */
  autoScalingGroups: string[];
  alarms: string[];
}

export interface Automation {
  executionId: string;
  documentName: string;
  parameters: Record<string, string[]>;
  clientToken?: string;
  tags: Record<string, string>;
  status: 'InProgress' | 'Success' | 'Failed';
  startTime: number;
  finishAt: number;
}

export interface InstanceRefresh {
  id: string;
  groupName: string;
  status: 'Pending' | 'InProgress' | 'Successful' | 'Failed' | 'Cancelled';
  startTime: number;
  endTime?: number;
}

export type FleetEvent =
  | { kind: 'alarm'; alarm: Alarm; previousState: Alarm['state']; at: number }
  /** `forged`: the event says it happened at `at`, not now (a skewed or hostile sender). */
  | { kind: 'instance-state'; instanceId: string; state: 'stopped' | 'terminated'; at: number; forged?: boolean }
  // What AWS announces on EventBridge when an activity ends (the platform's Await states wake on them).
  | { kind: 'deployment'; deployment: Deployment; at: number }
  | { kind: 'automation'; automation: Automation; at: number }
  | { kind: 'group-activity'; groupName: string; instanceId: string; activity: 'launch' | 'terminate'; at: number };

const MINUTE = 60_000;
const revisionKey = (r: Revision | undefined) => JSON.stringify(r ?? null);

export class Fleet {
  readonly groups = new Map<string, Group>();
  readonly instances = new Map<string, Instance>();
  readonly alarms = new Map<string, Alarm>();
  readonly deploymentGroups = new Map<string, DeploymentGroupState>();
  readonly deployments = new Map<string, Deployment>();
  readonly automations = new Map<string, Automation>();
  readonly instanceRefreshes: InstanceRefresh[] = [];
  readonly documents = new Set(['AWS-RestartEC2Instance']);
  /** SSM parameters (the kill switch lives here). */
  readonly parameters = new Map<string, { value: string; version: number; updatedAt: number }>();
  private readonly listeners: ((event: FleetEvent) => void)[] = [];
  private readonly scheduled: { at: number; change: () => void }[] = [];
  /** Changes waiting for an alarm to reach a state (a person acting while an incident waits). */
  private readonly alarmWatchers: { name: string; state: Alarm['state']; ms: number; change: () => void }[] = [];
  /** Every value each group's desired capacity took, and when (whoever set it: the platform, a person, the fleet). */
  readonly desiredHistory = new Map<string, { at: number; desired: number }[]>();
  private sequence = 0;

  constructor(readonly clock: Clock) {}

  onEvent(listener: (event: FleetEvent) => void): void {
    this.listeners.push(listener);
  }

  private emit(event: FleetEvent): void {
    for (const listener of this.listeners) listener(event);
    if (event.kind !== 'alarm') return;
    for (const watcher of this.alarmWatchers.filter(
      (w) => w.name === event.alarm.name && w.state === event.alarm.state,
    )) {
      this.alarmWatchers.splice(this.alarmWatchers.indexOf(watcher), 1);
      this.after(watcher.ms, watcher.change);
    }
  }

  private nextId(prefix: string, width: number): string {
    this.sequence += 1;
    const hash = createHash('sha256').update(`${prefix}${this.sequence}`).digest('hex');
    return `${prefix}${hash.slice(0, width)}`;
  }

  // ------------------------------------------------------------------ building the estate
  addGroup(group: Omit<Group, 'tags'> & { tags?: Record<string, string> }, instanceIds: string[] = []): void {
    const now = this.clock.now();
    const stored: Group = { tags: {}, ...group };
    // Whoever sets it (SetDesiredCapacity, a person, target tracking), the group remembers when.
    const history = [{ at: now, desired: group.desired }];
    let desired = group.desired;
    Object.defineProperty(stored, 'desired', {
      enumerable: true,
      get: () => desired,
      set: (value: number) => {
        desired = value;
        history.push({ at: this.clock.now(), desired: value });
      },
    });
    this.groups.set(group.name, stored);
    this.desiredHistory.set(group.name, history);
    for (let i = 0; i < group.desired; i++) {
      const id = instanceIds[i] ?? this.nextId('i-0', 16);
      this.instances.set(id, {
        id,
        groupName: group.name,
        lifecycle: 'InService',
        health: 'Healthy',
        ec2State: 'running',
        readyAt: now,
        systemCheckFailing: false,
      });
    }
  }

  addStandaloneInstance(id: string): void {
    this.instances.set(id, {
      id,
      lifecycle: 'InService',
      health: 'Healthy',
      ec2State: 'running',
      readyAt: this.clock.now(),
      systemCheckFailing: false,
    });
  }

  addAlarm(alarm: Omit<Alarm, 'state' | 'reason' | 'updatedAt' | 'tags'> & { tags?: Record<string, string> }): void {
    this.alarms.set(alarm.name, {
      tags: {},
      ...alarm,
      state: 'OK',
      reason: 'Threshold not breached',
      updatedAt: this.clock.now(),
    });
  }

  /** PutMetricAlarm: a new alarm starts in INSUFFICIENT_DATA; an existing one keeps its state. */
  putAlarm(alarm: Omit<Alarm, 'state' | 'reason' | 'updatedAt' | 'condition'>): void {
    const existing = this.alarms.get(alarm.name);
    this.alarms.set(alarm.name, {
      ...alarm,
      condition: { kind: 'recorded' },
      state: existing?.state ?? 'INSUFFICIENT_DATA',
      reason: existing?.reason ?? 'Unchecked: Initial alarm creation',
      updatedAt: existing?.updatedAt ?? this.clock.now(),
    });
  }

  addDeploymentGroup(
    applicationName: string,
    deploymentGroupName: string,
    history: { id: string; revision: Revision; bad?: boolean; ageMinutes: number }[],
    deploySeconds = 120,
    watches: { autoScalingGroups?: string[]; alarms?: string[] } = {},
  ): void {
    const state: DeploymentGroupState = {
      applicationName,
      deploymentGroupName,
      badRevisionKeys: new Set(),
      deploySeconds,
      tags: { 'selfhealing:managed': 'true' },
      autoScalingGroups: watches.autoScalingGroups ?? [],
      alarms: watches.alarms ?? [],
    };
    const now = this.clock.now();
    for (const entry of history) {
      const createTime = now - entry.ageMinutes * MINUTE;
      this.deployments.set(entry.id, {
        deploymentId: entry.id,
        applicationName,
        deploymentGroupName,
        status: 'Succeeded',
        revision: entry.revision,
        createTime,
        completeTime: createTime + deploySeconds * 1000,
        finishAt: createTime,
        creator: 'user',
      });
      if (entry.bad) state.badRevisionKeys.add(revisionKey(entry.revision));
      state.liveRevision = entry.revision;
    }
    this.deploymentGroups.set(`${applicationName}/${deploymentGroupName}`, state);
  }

  // ------------------------------------------------------------------ faults the drill injects
  /** A person starts a stopped instance again (the same instance: its agent reports in at once). */
  startInstance(id: string): void {
    const instance = this.requireInstance(id);
    if (instance.ec2State === 'stopped') instance.ec2State = 'running';
  }

  stopInstance(id: string): void {
    const instance = this.requireInstance(id);
    instance.ec2State = 'stopped';
    instance.stoppedAt = this.clock.now();
    this.emit({ kind: 'instance-state', instanceId: id, state: 'stopped', at: this.clock.now() });
  }

  fillDisk(id: string): void {
    this.requireInstance(id).diskFull = true;
  }

  /** A replayed alarm transition: the alarm's state as the recording says. */
  setAlarmState(name: string, state: Alarm['state'], reason: string): void {
    const alarm = this.alarms.get(name);
    if (!alarm) throw new Error(`No alarm ${name} in the fleet`);
    alarm.state = state;
    alarm.reason = reason;
    alarm.updatedAt = this.clock.now();
  }

  /** An alarm goes to ALARM now and notifies, as CloudWatch would (a recorded alarm that fires). */
  raiseAlarm(name: string, reason: string): void {
    this.changeAlarmState(name, 'ALARM', reason);
  }

  /**
   * CloudWatch SetAlarmState: the state changes now and the alarm's actions run if it is a
   * transition; the next evaluation may set it back (as on AWS).
   */
  changeAlarmState(name: string, state: Alarm['state'], reason: string): void {
    const alarm = this.alarms.get(name);
    if (!alarm) throw new Error(`No alarm ${name} in the fleet`);
    const previousState = alarm.state;
    this.setAlarmState(name, state, reason);
    if (previousState !== state) this.emit({ kind: 'alarm', alarm, previousState, at: this.clock.now() });
  }

  failSystemCheck(id: string): void {
    this.requireInstance(id).systemCheckFailing = true;
  }

  setDemand(groupName: string, demand: number): void {
    for (const alarm of this.alarms.values()) {
      if (alarm.condition.kind === 'cpu' && alarm.condition.groupName === groupName) alarm.condition.demand = demand;
    }
  }

  /** A user deploys a revision; it succeeds, and if it is bad the error rate climbs. */
  deploy(applicationName: string, deploymentGroupName: string, revision: Revision, bad: boolean): string {
    const group = this.requireDeploymentGroup(applicationName, deploymentGroupName);
    if (bad) group.badRevisionKeys.add(revisionKey(revision));
    return this.startDeployment(group, revision, 'user');
  }

  /** A change to the estate some simulated milliseconds from now (a burst of load passing). */
  after(ms: number, change: () => void): void {
    this.scheduled.push({ at: this.clock.now() + ms, change });
  }

  /** A change `ms` after the alarm next goes to `state` (a person acting while the incident waits for approval). */
  whenAlarm(name: string, state: Alarm['state'], ms: number, change: () => void): void {
    this.alarmWatchers.push({ name, state, ms, change });
  }

  /**
   * A person or target tracking sets a group's desired capacity (within its bounds, as the API
   * would take it from them).
   */
  setDesiredCapacity(groupName: string, desired: number): void {
    const group = this.requireGroup(groupName);
    group.desired = Math.min(group.maxSize, Math.max(group.minSize, desired));
  }

  /**
   * An EC2 state-change notification that says it happened at `at`, whatever the instance does
   * (a skewed or forged sender: the event is all there is).
   */
  reportInstanceState(instanceId: string, state: 'stopped' | 'terminated', at: number): void {
    this.emit({ kind: 'instance-state', instanceId, state, at, forged: true });
  }

  // ------------------------------------------------------------------ the passage of time
  /** Brings the estate up to the simulated now; called before every API call and by the drill's timer. */
  tick(): void {
    const now = this.clock.now();
    for (const due of this.scheduled.filter((s) => s.at <= now)) {
      this.scheduled.splice(this.scheduled.indexOf(due), 1);
      due.change();
    }
    for (const d of this.deployments.values()) {
      if ((d.status === 'InProgress' || d.status === 'Created') && d.finishAt <= now) {
        d.status = 'Succeeded';
        d.completeTime = d.finishAt;
        const group = this.deploymentGroups.get(`${d.applicationName}/${d.deploymentGroupName}`);
        if (group) group.liveRevision = d.revision;
        this.emit({ kind: 'deployment', deployment: d, at: now });
      }
    }
    for (const a of this.automations.values()) {
      if (a.status === 'InProgress' && a.finishAt <= now) {
        const instanceId = a.parameters.InstanceId?.[0];
        const instance = instanceId ? this.instances.get(instanceId) : undefined;
        if (!instance) {
          a.status = 'Failed';
          this.emit({ kind: 'automation', automation: a, at: now });
          continue;
        }
        a.status = 'Success';
        this.emit({ kind: 'automation', automation: a, at: now });
        // Restarting a service leaves the host as it is; stop and start moves it to healthy hardware.
        if (/RestartService$/.test(a.documentName)) continue;
        instance.systemCheckFailing = false;
        instance.ec2State = 'running';
      }
    }
    for (const instance of this.instances.values()) {
      const activity = (kind: 'launch' | 'terminate') =>
        instance.groupName &&
        this.emit({
          kind: 'group-activity',
          groupName: instance.groupName,
          instanceId: instance.id,
          activity: kind,
          at: now,
        });
      if (instance.lifecycle === 'Pending' && instance.readyAt <= now) {
        instance.lifecycle = 'InService';
        instance.ec2State = 'running';
        activity('launch');
      }
      if (instance.lifecycle === 'Terminating' && (instance.goneAt ?? 0) <= now) {
        instance.lifecycle = 'Terminated';
        instance.ec2State = 'terminated';
        activity('terminate');
      }
    }
    for (const group of this.groups.values()) this.reconcile(group, now);
    for (const alarm of this.alarms.values()) this.evaluate(alarm, now);
  }

  /** What an Auto Scaling group does on its own: replace unhealthy instances, meet the desired capacity. */
  private reconcile(group: Group, now: number): void {
    const members = this.membersOf(group.name);
    for (const instance of members) {
      if (instance.health === 'Unhealthy' && instance.lifecycle === 'InService') {
        instance.lifecycle = 'Terminating';
        instance.goneAt = now + 30_000;
      }
    }
    const active = this.membersOf(group.name).filter(
      (i) => i.lifecycle === 'Pending' || (i.lifecycle === 'InService' && i.health === 'Healthy'),
    );
    for (let missing = group.desired - active.length; missing > 0; missing--) {
      const id = this.nextId('i-0', 16);
      this.instances.set(id, {
        id,
        groupName: group.name,
        lifecycle: 'Pending',
        health: 'Healthy',
        ec2State: 'pending',
        readyAt: now + group.launchSeconds * 1000,
        systemCheckFailing: false,
      });
    }
    for (const extra of active.slice(group.desired)) {
      extra.lifecycle = 'Terminating';
      extra.goneAt = now + 30_000;
    }
  }

  private breaching(alarm: Alarm): { breaching: boolean; reason: string } {
    const c = alarm.condition;
    if (c.kind === 'cpu') {
      const serving = this.membersOf(c.groupName).filter(
        (i) => i.lifecycle === 'InService' && i.ec2State === 'running',
      ).length;
      const deployment = c.deployment ? this.deploymentGroups.get(c.deployment) : undefined;
      const regressed = deployment ? deployment.badRevisionKeys.has(revisionKey(deployment.liveRevision)) : false;
      const demand = c.demand * (regressed ? (c.badDemandFactor ?? 3) : 1);
      const cpu = serving === 0 ? 100 : Math.min(100, demand / serving);
      return {
        breaching: cpu > c.threshold,
        reason: `CPUUtilization ${cpu.toFixed(1)} on ${serving} instances (threshold ${c.threshold})`,
      };
    }
    if (c.kind === 'latency') {
      // Latency climbs with the load per serving instance.
      const cpuAlarm = [...this.alarms.values()].find(
        (a) => a.condition.kind === 'cpu' && a.condition.groupName === c.groupName,
      )?.condition;
      const demand = cpuAlarm?.kind === 'cpu' ? cpuAlarm.demand : 0;
      const serving = this.membersOf(c.groupName).filter(
        (i) => i.lifecycle === 'InService' && i.ec2State === 'running',
      ).length;
      const load = serving === 0 ? Number.POSITIVE_INFINITY : demand / serving;
      const seconds = Math.min(30, load / 50);
      return {
        breaching: load > c.loadThreshold,
        reason: `TargetResponseTime p99 ${seconds.toFixed(2)} s (threshold ${(c.loadThreshold / 50).toFixed(2)} s)`,
      };
    }
    if (c.kind === 'error-rate') {
      const group = this.deploymentGroups.get(`${c.application}/${c.deploymentGroup}`);
      const bad = group ? group.badRevisionKeys.has(revisionKey(group.liveRevision)) : false;
      return { breaching: bad, reason: bad ? 'HTTP 5XX count 240 (threshold 50)' : 'HTTP 5XX count 2 (threshold 50)' };
    }
    if (c.kind === 'recorded') return { breaching: alarm.state === 'ALARM', reason: alarm.reason };
    if (c.kind === 'service') {
      // Missing data (the instance is gone) is not breaching, as with TreatMissingData: notBreaching.
      const host = this.instances.get(c.instanceId);
      const failing = Boolean(host?.diskFull && host.lifecycle === 'InService' && host.ec2State === 'running');
      return {
        breaching: failing,
        reason: failing
          ? 'HealthCheckFailed 1 (threshold 1): service down, disk full'
          : 'HealthCheckFailed 0 (threshold 1)',
      };
    }
    const instance = this.instances.get(c.instanceId);
    const failing = Boolean(instance?.systemCheckFailing && instance.ec2State === 'running');
    return {
      breaching: failing,
      reason: failing ? 'StatusCheckFailed_System 1 (threshold 1)' : 'StatusCheckFailed_System 0 (threshold 1)',
    };
  }

  /** One datapoint a minute; the state changes after `evaluationMinutes` (2) minutes on the other side. */
  private evaluate(alarm: Alarm, now: number): void {
    if (alarm.condition.kind === 'recorded') return;
    const { breaching, reason } = this.breaching(alarm);
    if (breaching) {
      alarm.okSince = undefined;
      alarm.breachingSince ??= now;
    } else {
      alarm.breachingSince = undefined;
      alarm.okSince ??= now;
    }
    const since = breaching ? alarm.breachingSince : alarm.okSince;
    const target = breaching ? 'ALARM' : 'OK';
    if (alarm.state !== target && since !== undefined && now - since >= (alarm.evaluationMinutes ?? 2) * MINUTE) {
      const previousState = alarm.state;
      alarm.state = target;
      alarm.reason = `Threshold Crossed: ${reason}`;
      alarm.updatedAt = now;
      this.emit({ kind: 'alarm', alarm, previousState, at: now });
    }
  }

  membersOf(groupName: string): Instance[] {
    return [...this.instances.values()].filter((i) => i.groupName === groupName && i.lifecycle !== 'Terminated');
  }

  private requireInstance(id: string): Instance {
    const instance = this.instances.get(id);
    if (!instance) throw new ProtocolError('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
    return instance;
  }

  requireGroup(name: string): Group {
    const group = this.groups.get(name);
    if (!group)
      throw new ProtocolError(
        'ValidationError',
        `AutoScalingGroup name not found - AutoScalingGroup ${name} not found`,
      );
    return group;
  }

  requireDeploymentGroup(applicationName: string, deploymentGroupName: string): DeploymentGroupState {
    const group = this.deploymentGroups.get(`${applicationName}/${deploymentGroupName}`);
    if (!group)
      throw new ProtocolError(
        'DeploymentGroupDoesNotExistException',
        `No Deployment Group found for name: ${deploymentGroupName}`,
      );
    return group;
  }

  requireDeployment(deploymentId: string): Deployment {
    const deployment = this.deployments.get(deploymentId);
    if (!deployment)
      throw new ProtocolError('DeploymentDoesNotExistException', `Deployment ${deploymentId} does not exist`);
    return deployment;
  }

  startDeployment(
    group: DeploymentGroupState,
    revision: Revision,
    creator: Deployment['creator'],
    description?: string,
  ): string {
    const now = this.clock.now();
    const deploymentId = `d-${this.nextId('', 9).toUpperCase()}`;
    this.deployments.set(deploymentId, {
      deploymentId,
      applicationName: group.applicationName,
      deploymentGroupName: group.deploymentGroupName,
      status: 'InProgress',
      revision,
      createTime: now,
      finishAt: now + group.deploySeconds * 1000,
      creator,
      ...(description ? { description } : {}),
    });
    return deploymentId;
  }

  stopDeployment(deploymentId: string, autoRollback: boolean): void {
    const deployment = this.requireDeployment(deploymentId);
    if (deployment.status !== 'InProgress' && deployment.status !== 'Created') {
      throw new ProtocolError(
        'DeploymentAlreadyCompletedException',
        `Deployment ${deploymentId} has already completed`,
      );
    }
    deployment.status = 'Stopped';
    deployment.completeTime = this.clock.now();
    this.emit({ kind: 'deployment', deployment, at: this.clock.now() });
    const group = this.requireDeploymentGroup(deployment.applicationName, deployment.deploymentGroupName);
    if (autoRollback && group.liveRevision) {
      deployment.rollbackDeploymentId = this.startDeployment(
        group,
        group.liveRevision,
        'codeDeployRollback',
        `Rollback of ${deploymentId}`,
      );
    }
  }

  startAutomation(
    documentName: string,
    parameters: Record<string, string[]>,
    clientToken?: string,
    tags: Record<string, string> = {},
  ): string {
    if (!this.documents.has(documentName))
      throw new ProtocolError('AutomationDefinitionNotFoundException', `Document ${documentName} does not exist`);
    const existing = clientToken
      ? [...this.automations.values()].find((a) => a.clientToken === clientToken)
      : undefined;
    if (existing) return existing.executionId;
    const now = this.clock.now();
    const executionId = this.nextId('', 8) + '-' + this.nextId('', 4) + '-4000-8000-' + this.nextId('', 12);
    this.automations.set(executionId, {
      executionId,
      documentName,
      parameters,
      ...(clientToken ? { clientToken } : {}),
      tags,
      status: 'InProgress',
      startTime: now,
      finishAt: now + 3 * MINUTE,
    });
    return executionId;
  }

  alarmArn(name: string): string {
    return `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${name}`;
  }
}
