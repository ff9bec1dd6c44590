import type { Fleet } from './sandbox/fleet';

// `npm start -- --event my-alarm.json`: the event may name an alarm, group, instance or deployment
// group the game-day fleet does not have. Build them, so that the platform's re-reads find what the
// event describes and the verdict is about the policy, not about a missing simulated resource.

const MANAGED = { 'selfhealing:managed': 'true' };
const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

interface Named {
  alarm?: {
    name: string;
    /** The state the event reports (ALARM, OK…). */
    state?: string;
    namespace: string;
    metricName: string;
    dimensions: Record<string, string>;
  };
  /** When it happened: the alarm's state change, else the event's time or the SNS timestamp (ISO). */
  at?: string;
  groups: string[];
  instances: string[];
  deploymentGroup?: { application: string; group: string };
}

function parseJson(value: unknown): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(String(value));
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * What an SNS alarm notification or an EventBridge event names, and when it happened: the one
 * reader of an inbound event for the local tools, lenient (ingest is what validates it).
 */
export function resourcesNamedBy(event: Record<string, unknown>): Named {
  const named: Named = { groups: [], instances: [] };
  const records = Array.isArray(event.Records)
    ? (event.Records as { Sns?: { Message?: unknown; Timestamp?: unknown } }[])
    : [];
  const message = parseJson(records[0]?.Sns?.Message);
  const detail = (event.detail ?? {}) as Record<string, unknown>;
  let dimensions: Record<string, string> = {};
  let name = text(message.AlarmName);
  let namespace = '';
  let metricName = '';
  if (name) {
    const trigger = (message.Trigger ?? {}) as { Namespace?: unknown; MetricName?: unknown; Dimensions?: unknown };
    namespace = text(trigger.Namespace) ?? '';
    metricName = text(trigger.MetricName) ?? '';
    const list = Array.isArray(trigger.Dimensions) ? (trigger.Dimensions as { name?: unknown; value?: unknown }[]) : [];
    dimensions = Object.fromEntries(
      list.flatMap((d): [string, string][] => {
        const [key, value] = [text(d.name), text(d.value)];
        return key && value ? [[key, value]] : [];
      }),
    );
  } else if ((name = text(detail.alarmName))) {
    const metrics = ((detail.configuration ?? {}) as { metrics?: unknown }).metrics;
    const metric = (Array.isArray(metrics) ? metrics : [])[0] as
      { metricStat?: { metric?: { namespace?: unknown; name?: unknown; dimensions?: unknown } } } | undefined;
    namespace = text(metric?.metricStat?.metric?.namespace) ?? '';
    metricName = text(metric?.metricStat?.metric?.name) ?? '';
    const dims = metric?.metricStat?.metric?.dimensions;
    if (dims && typeof dims === 'object')
      dimensions = Object.fromEntries(
        Object.entries(dims).filter((entry): entry is [string, string] => !!text(entry[1])),
      );
  }
  const state = text(message.NewStateValue) ?? text((detail.state as { value?: unknown } | undefined)?.value);
  if (name) named.alarm = { name, ...(state ? { state } : {}), namespace, metricName, dimensions };
  // CloudWatch writes +0000, which Date.parse does not take.
  const at =
    text(message.StateChangeTime)?.replace(/\+0000$/, 'Z') ?? text(event.time) ?? text(records[0]?.Sns?.Timestamp);
  if (at) named.at = at;
  const group = text(dimensions.AutoScalingGroupName) ?? text(detail.AutoScalingGroupName);
  if (group) named.groups.push(group);
  const instance = text(dimensions.InstanceId) ?? text(detail['instance-id']) ?? text(detail.EC2InstanceId);
  if (instance) named.instances.push(instance);
  const application = text(detail.application);
  const deploymentGroup = text(detail.deploymentGroup);
  if (application && deploymentGroup) named.deploymentGroup = { application, group: deploymentGroup };
  return named;
}

/**
 * Adds to the fleet what the event names and it lacks, and says what it built: a managed group of
 * 2 (room to scale to 10), a standalone instance, an alarm that recovers when the remediation
 * works (CPU over 80 % for a group, the status check for an instance, its recording otherwise),
 * a deployment group whose last revision is the bad one.
 */
export function buildResourcesNamedBy(fleet: Fleet, event: Record<string, unknown>, delivery: 'sns' | 'eventbridge') {
  const named = resourcesNamedBy(event);
  const built: string[] = [];
  for (const group of named.groups) {
    if (fleet.groups.has(group)) continue;
    fleet.addGroup({ name: group, minSize: 1, maxSize: 10, desired: 2, launchSeconds: 90, tags: MANAGED });
    built.push(`Auto Scaling group ${group} (2 instances, max 10, tagged selfhealing:managed)`);
  }
  for (const instance of named.instances) {
    if (fleet.instances.has(instance)) continue;
    fleet.addStandaloneInstance(instance);
    // An EC2 state-change event about it: the instance is in the state the event reports.
    const state = (event.detail as { state?: unknown } | undefined)?.state;
    if (state === 'stopped') fleet.stopInstance(instance);
    built.push(`instance ${instance}${state === 'stopped' ? ' (stopped)' : ''}`);
  }
  if (
    named.deploymentGroup &&
    !fleet.deploymentGroups.has(`${named.deploymentGroup.application}/${named.deploymentGroup.group}`)
  ) {
    const { application, group } = named.deploymentGroup;
    const revision = (version: string) => ({
      revisionType: 'S3' as const,
      s3Location: {
        bucket: `${application}-artifacts`,
        key: `${application}/${version}.zip`,
        bundleType: 'zip' as const,
      },
    });
    fleet.addDeploymentGroup(
      application,
      group,
      [
        { id: 'd-YOURS0001', revision: revision('1.0.0'), ageMinutes: 24 * 60 },
        { id: 'd-YOURS0002', revision: revision('1.1.0'), ageMinutes: 10, bad: true },
      ],
      120,
      // As a team that wires the two together would: the alarm watches the group's deployments.
      { autoScalingGroups: named.groups, alarms: named.alarm ? [named.alarm.name] : [] },
    );
    built.push(`deployment group ${application}/${group} (last good revision 1.0.0, then 1.1.0)`);
  }
  const alarm = named.alarm;
  if (alarm && !fleet.alarms.has(alarm.name)) {
    const group = named.groups[0];
    const instance = named.instances[0];
    fleet.addAlarm({
      ...alarm,
      delivery,
      condition: group
        ? { kind: 'cpu', groupName: group, demand: 0, threshold: 80 }
        : instance
          ? { kind: 'system-status', instanceId: instance }
          : { kind: 'recorded' },
    });
    if (instance && !group) fleet.failSystemCheck(instance);
    built.push(
      `alarm ${alarm.name} (${group ? `CPU of ${group}` : instance ? `status check of ${instance}` : 'moves only as events say'})`,
    );
  }
  return built;
}

/**
 * `npm run invoke` with a workflow-state fixture: build the incident's alarm if the fleet lacks it.
 * A fixture that acts holding the lock (an apply: it has `guard`) finds the alarm in the incident's
 * state, so its pre-call re-read agrees with the fixture instead of finding it OK; the others
 * (verify, progress) read the fleet as it is.
 */
export function stageIncidentAlarm(fleet: Fleet, event: unknown): string[] {
  const e = (event ?? {}) as { incident?: unknown; state?: { incident?: unknown }; guard?: unknown };
  const incident = (e.incident ?? e.state?.incident ?? {}) as {
    alarm?: { name?: unknown; state?: unknown; namespace?: unknown; metricName?: unknown; dimensions?: unknown };
  };
  const alarm = incident.alarm;
  const name = text(alarm?.name);
  if (!alarm || !name) return [];
  const built: string[] = [];
  if (!fleet.alarms.has(name)) {
    fleet.addAlarm({
      name,
      namespace: text(alarm.namespace) ?? '',
      metricName: text(alarm.metricName) ?? '',
      dimensions: (alarm.dimensions ?? {}) as Record<string, string>,
      delivery: 'eventbridge',
      condition: { kind: 'recorded' },
    });
    built.push(`alarm ${name}`);
  }
  const state = alarm.state;
  // A prepare or apply step re-reads the alarm (the safety kernel): it finds it as the incident reports.
  const acts = e.guard !== undefined || (event as { operation?: unknown }).operation !== undefined;
  if (acts && (state === 'ALARM' || state === 'OK' || state === 'INSUFFICIENT_DATA'))
    fleet.setAlarmState(name, state, "as the fixture's incident reports");
  return [...built, ...stageRolledBackDeployment(fleet, event)];
}

/**
 * A rollback's apply fixture names the deployment it rolls back: when the fleet lacks it, it is
 * deployed 5 minutes before the fixture's incident, the group's newest, so that the kernel finds it
 * still live and older than the incident (else: Superseded).
 */
function stageRolledBackDeployment(fleet: Fleet, event: unknown): string[] {
  const prepared = (event as { prepared?: Record<string, unknown> } | null)?.prepared;
  const application = text(prepared?.application);
  const deploymentGroup = text(prepared?.deploymentGroup);
  const id = text(prepared?.badDeploymentId) ?? text(prepared?.deploymentId);
  const group =
    application && deploymentGroup ? fleet.deploymentGroups.get(`${application}/${deploymentGroup}`) : undefined;
  if (!group || !id || fleet.deployments.has(id)) return [];
  const detectedAt = Date.parse(text((event as { incident?: { detectedAt?: unknown } }).incident?.detectedAt) ?? '');
  const deployedAt = Math.min(fleet.clock.now(), Number.isNaN(detectedAt) ? Infinity : detectedAt) - 5 * 60_000;
  const revision = {
    revisionType: 'S3' as const,
    s3Location: { bucket: `${application}-artifacts`, key: `${application}/${id}.zip`, bundleType: 'zip' as const },
  };
  const running = prepared?.mode === 'stop';
  fleet.deployments.set(id, {
    deploymentId: id,
    applicationName: group.applicationName,
    deploymentGroupName: group.deploymentGroupName,
    status: running ? 'InProgress' : 'Succeeded',
    revision,
    createTime: deployedAt,
    ...(running ? {} : { completeTime: deployedAt }),
    // A running one is still running now (a stop fixture stops it).
    finishAt: running ? fleet.clock.now() + group.deploySeconds * 1000 : deployedAt,
    creator: 'user',
  });
  if (!running) group.liveRevision = revision;
  return [`deployment ${id} (the one the fixture rolls back, now the newest of ${application}/${deploymentGroup})`];
}

/**
 * An alarm event about an alarm of the simulated fleet: the fleet is put in the state the event
 * reports (ALARM, and for a CPU alarm the load that makes it so), so the platform's re-reads agree
 * with the event instead of finding the alarm OK.
 */
export function stageAlarmOf(fleet: Fleet, event: Record<string, unknown>): void {
  const named = resourcesNamedBy(event).alarm;
  const alarm = named ? fleet.alarms.get(named.name) : undefined;
  if (!alarm || named?.state !== 'ALARM') return;
  const condition = alarm.condition;
  if (condition.kind === 'cpu') {
    const serving = [...fleet.instances.values()].filter(
      (i) => i.groupName === condition.groupName && i.lifecycle === 'InService' && i.ec2State === 'running',
    ).length;
    // 30 % over the threshold: a scale-out of a step or two brings it back under.
    fleet.setDemand(condition.groupName, condition.threshold * Math.max(1, serving) * 1.3);
  }
  fleet.setAlarmState(alarm.name, 'ALARM', 'as the given event reports');
}
