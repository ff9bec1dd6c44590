import { createHash } from 'node:crypto';
import { simulationRandom } from '../sim/random';
import { ACCOUNT, type Deployment, type Fleet, type Instance, REGION, type Revision } from './fleet';
import { type Params, ProtocolError } from './protocols';

// Each operation the handlers use, answered from the fleet in the shapes the AWS API documents.

export interface Published {
  topicArn: string;
  subject?: string;
  message: string;
  attributes: Record<string, string>;
  at: number;
}
export interface QueuedMessage {
  queueUrl: string;
  body: string;
  at: number;
}

export interface ServiceContext {
  fleet: Fleet;
  published: Published[];
  queued: QueuedMessage[];
  /** A topic's subscribers, when something delivers to them (npm run sandbox). */
  delivered?: (message: Published) => void;
  /** The template's topic ARNs and queue names: publishing or sending elsewhere fails as on AWS. */
  topics: ReadonlySet<string>;
  queues: ReadonlySet<string>;
}

export type Operation = (params: Params, ctx: ServiceContext) => Params | Promise<Params>;

const str = (params: Params, name: string): string => {
  const value = params[name];
  if (typeof value !== 'string' || value === '')
    throw new ProtocolError(
      'ValidationError',
      `1 validation error detected: Value at '${name}' failed to satisfy constraint: Member must not be null`,
    );
  return value;
};
const list = (params: Params, name: string): string[] =>
  Array.isArray(params[name]) ? (params[name] as string[]) : [];
const date = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms));

/**
 * AWS's list paging: at most `maxRecords` items from the position an opaque NextToken names. The
 * token is the offset (base64), as opaque to a client as AWS's; a token it did not issue is rejected.
 */
export function page<T>(
  items: T[],
  params: Params,
  { max, fallback, sizeName, tokenName }: { max: number; fallback: number; sizeName: string; tokenName: string },
): { items: T[]; nextToken?: string } {
  const size = params[sizeName] === undefined ? fallback : Number(params[sizeName]);
  if (!Number.isInteger(size) || size < 1 || size > max)
    throw new ProtocolError(
      'ValidationError',
      `1 validation error detected: Value '${String(params[sizeName])}' at '${sizeName}' failed to satisfy constraint: Member must have value between 1 and ${max}`,
    );
  const token = params[tokenName];
  const start = typeof token === 'string' && token !== '' ? Number(Buffer.from(token, 'base64').toString('utf8')) : 0;
  if (!Number.isInteger(start) || start < 0 || start > items.length)
    throw new ProtocolError('InvalidNextToken', `The token '${String(token)}' is invalid.`);
  const end = start + size;
  return {
    items: items.slice(start, end),
    ...(end < items.length ? { nextToken: Buffer.from(String(end), 'utf8').toString('base64') } : {}),
  };
}

/** How Auto Scaling and CloudWatch page (MaxRecords up to 100, 50 by default; NextToken). */
const QUERY_PAGES = { max: 100, fallback: 50, sizeName: 'MaxRecords', tokenName: 'NextToken' };
/** How Step Functions pages (maxResults up to 1000, 100 by default; nextToken). */
export const JSON_PAGES = { max: 1000, fallback: 100, sizeName: 'maxResults', tokenName: 'nextToken' };

/** Auto Scaling's DescribeAutoScalingGroups Filters: tag-key, tag-value, tag:<key> (values OR-ed, filters AND-ed). */
function matchesTagFilters(tags: Record<string, string>, filters: { Name?: string; Values?: string[] }[]): boolean {
  return filters.every(({ Name = '', Values = [] }) => {
    if (Name === 'tag-key') return Values.some((v) => v in tags);
    if (Name === 'tag-value') return Values.some((v) => Object.values(tags).includes(v));
    if (Name.startsWith('tag:')) return Values.some((v) => tags[Name.slice(4)] === v);
    throw new ProtocolError('ValidationError', `Filter name ${Name} is not supported`);
  });
}

function instanceView(i: Instance) {
  return {
    InstanceId: i.id,
    AvailabilityZone: `${REGION}a`,
    LifecycleState: i.lifecycle,
    HealthStatus: i.health,
    ProtectedFromScaleIn: false,
  };
}

function deploymentView(d: Deployment) {
  return {
    applicationName: d.applicationName,
    deploymentGroupName: d.deploymentGroupName,
    deploymentId: d.deploymentId,
    status: d.status,
    revision: d.revision,
    createTime: date(d.createTime),
    ...(d.completeTime ? { completeTime: date(d.completeTime) } : {}),
    creator: d.creator,
    ...(d.description ? { description: d.description } : {}),
    ...(d.rollbackDeploymentId ? { rollbackInfo: { rollbackDeploymentId: d.rollbackDeploymentId } } : {}),
  };
}

function latestDeployment(
  fleet: Fleet,
  application: string,
  group: string,
  status?: Deployment['status'],
): Deployment | undefined {
  return [...fleet.deployments.values()]
    .filter(
      (d) => d.applicationName === application && d.deploymentGroupName === group && (!status || d.status === status),
    )
    .sort((a, b) => b.createTime - a.createTime)[0];
}

export const OPERATIONS: Record<string, Operation> = {
  // ---------------------------------------------------------------- Auto Scaling (Query)
  'AutoScaling.DescribeAutoScalingGroups': (params, { fleet }) => {
    const names = list(params, 'AutoScalingGroupNames');
    const filters = (Array.isArray(params.Filters) ? params.Filters : []) as { Name?: string; Values?: string[] }[];
    const matching = [...fleet.groups.values()]
      .filter((g) => names.length === 0 || names.includes(g.name))
      .filter((g) => matchesTagFilters(g.tags, filters))
      .sort((a, b) => a.name.localeCompare(b.name));
    const { items: groups, nextToken } = page(matching, params, QUERY_PAGES);
    return {
      ...(nextToken ? { NextToken: nextToken } : {}),
      AutoScalingGroups: groups.map((g) => ({
        AutoScalingGroupName: g.name,
        AutoScalingGroupARN: `arn:aws:autoscaling:${REGION}:${ACCOUNT}:autoScalingGroup:${simulationRandom().uuid()}:autoScalingGroupName/${g.name}`,
        MinSize: g.minSize,
        MaxSize: g.maxSize,
        DesiredCapacity: g.desired,
        DefaultCooldown: 300,
        AvailabilityZones: [`${REGION}a`, `${REGION}b`],
        HealthCheckType: 'EC2',
        CreatedTime: new Date(0),
        Instances: fleet.membersOf(g.name).map(instanceView),
        Tags: Object.entries(g.tags).map(([Key, Value]) => ({
          Key,
          Value,
          ResourceId: g.name,
          ResourceType: 'auto-scaling-group',
          PropagateAtLaunch: false,
        })),
      })),
    };
  },
  'AutoScaling.DescribeAutoScalingInstances': (params, { fleet }) => {
    const ids = list(params, 'InstanceIds');
    return {
      AutoScalingInstances: ids
        .map((id) => fleet.instances.get(id))
        .filter((i): i is Instance => Boolean(i?.groupName) && i?.lifecycle !== 'Terminated')
        .map((i) => ({ ...instanceView(i), AutoScalingGroupName: i.groupName })),
    };
  },
  'AutoScaling.DescribeInstanceRefreshes': (params, { fleet }) => {
    const group = fleet.requireGroup(str(params, 'AutoScalingGroupName'));
    return {
      InstanceRefreshes: fleet.instanceRefreshes
        .filter((r) => r.groupName === group.name)
        .sort((a, b) => b.startTime - a.startTime)
        .map((r) => ({
          InstanceRefreshId: r.id,
          AutoScalingGroupName: r.groupName,
          Status: r.status,
          StartTime: date(r.startTime),
          ...(r.endTime ? { EndTime: date(r.endTime) } : {}),
          PercentageComplete: r.status === 'Successful' ? 100 : 0,
        })),
    };
  },
  'AutoScaling.SetDesiredCapacity': (params, { fleet }) => {
    const group = fleet.requireGroup(str(params, 'AutoScalingGroupName'));
    const desired = Number(params.DesiredCapacity);
    if (desired > group.maxSize)
      throw new ProtocolError(
        'ValidationError',
        `New SetDesiredCapacity value ${desired} is above max value ${group.maxSize} for the AutoScalingGroup.`,
      );
    if (desired < group.minSize)
      throw new ProtocolError(
        'ValidationError',
        `New SetDesiredCapacity value ${desired} is below min value ${group.minSize} for the AutoScalingGroup.`,
      );
    group.desired = desired;
    return {};
  },
  'AutoScaling.SetInstanceHealth': (params, { fleet }) => {
    const id = str(params, 'InstanceId');
    const instance = fleet.instances.get(id);
    if (!instance?.groupName || instance.lifecycle === 'Terminated')
      throw new ProtocolError(
        'ValidationError',
        `Instance Id not found - No instance(s) found with instance id: ${id}`,
      );
    const health = str(params, 'HealthStatus');
    if (health !== 'Healthy' && health !== 'Unhealthy')
      throw new ProtocolError(
        'ValidationError',
        `Valid values for HealthStatus are Healthy and Unhealthy, not ${health}`,
      );
    instance.health = health;
    return {};
  },

  // ---------------------------------------------------------------- CodeDeploy (JSON 1.1)
  'CodeDeploy.GetDeploymentGroup': (params, { fleet }) => {
    const application = str(params, 'applicationName');
    const name = str(params, 'deploymentGroupName');
    const group = fleet.requireDeploymentGroup(application, name);
    const attempted = latestDeployment(fleet, application, name);
    const succeeded = latestDeployment(fleet, application, name, 'Succeeded');
    const info = (d: Deployment | undefined) =>
      d
        ? {
            deploymentId: d.deploymentId,
            status: d.status,
            createTime: date(d.createTime),
            endTime: date(d.completeTime),
          }
        : undefined;
    return {
      deploymentGroupInfo: {
        applicationName: application,
        deploymentGroupName: name,
        deploymentGroupId: simulationRandom().uuid(),
        computePlatform: 'Server',
        targetRevision: group.liveRevision,
        autoScalingGroups: group.autoScalingGroups.map((name) => ({
          name,
          hook: `CodeDeploy-managed-automatic-launch-deployment-hook-${name}`,
        })),
        alarmConfiguration: {
          enabled: group.alarms.length > 0,
          ignorePollAlarmFailure: false,
          alarms: group.alarms.map((name) => ({ name })),
        },
        ...(attempted ? { lastAttemptedDeployment: info(attempted) } : {}),
        ...(succeeded ? { lastSuccessfulDeployment: info(succeeded) } : {}),
      },
    };
  },
  'CodeDeploy.GetDeployment': (params, { fleet }) => ({
    deploymentInfo: deploymentView(fleet.requireDeployment(str(params, 'deploymentId'))),
  }),
  'CodeDeploy.ListDeployments': (params, { fleet }) => {
    const application = str(params, 'applicationName');
    const name = str(params, 'deploymentGroupName');
    fleet.requireDeploymentGroup(application, name);
    const statuses = list(params, 'includeOnlyStatuses');
    return {
      deployments: [...fleet.deployments.values()]
        .filter(
          (d) =>
            d.applicationName === application &&
            d.deploymentGroupName === name &&
            (statuses.length === 0 || statuses.includes(d.status)),
        )
        .sort((a, b) => b.createTime - a.createTime)
        .map((d) => d.deploymentId),
    };
  },
  'CodeDeploy.BatchGetDeployments': (params, { fleet }) => ({
    deploymentsInfo: list(params, 'deploymentIds').flatMap((id) => {
      const d = fleet.deployments.get(id);
      return d ? [deploymentView(d)] : [];
    }),
  }),
  'CodeDeploy.CreateDeployment': (params, { fleet }) => {
    const group = fleet.requireDeploymentGroup(str(params, 'applicationName'), str(params, 'deploymentGroupName'));
    const revision = params.revision as Revision | undefined;
    if (!revision) throw new ProtocolError('RevisionRequiredException', 'The revision ID was not specified.');
    const description = typeof params.description === 'string' ? params.description : undefined;
    return { deploymentId: fleet.startDeployment(group, revision, 'user', description) };
  },
  'CodeDeploy.ListTagsForResource': (params, { fleet }) => {
    const arn = str(params, 'ResourceArn');
    const match = /^arn:[^:]+:codedeploy:[^:]*:\d{12}:deploymentgroup:([^/]+)\/(.+)$/.exec(arn);
    if (!match) throw new ProtocolError('InvalidArnException', `The specified ARN is not in a valid format: ${arn}`);
    const group = fleet.requireDeploymentGroup(match[1] ?? '', match[2] ?? '');
    return { Tags: Object.entries(group.tags).map(([Key, Value]) => ({ Key, Value })) };
  },
  'CodeDeploy.StopDeployment': (params, { fleet }) => {
    fleet.stopDeployment(str(params, 'deploymentId'), params.autoRollbackEnabled === true);
    return { status: 'Pending', statusMessage: 'Stopping deployment' };
  },

  // ---------------------------------------------------------------- SSM (JSON 1.1)
  'SSM.StartAutomationExecution': (params, { fleet }) => {
    const clientToken = typeof params.ClientToken === 'string' ? params.ClientToken : undefined;
    const parameters = (params.Parameters ?? {}) as Record<string, string[]>;
    const tags = Object.fromEntries(
      ((params.Tags ?? []) as { Key: string; Value: string }[]).map((t) => [t.Key, t.Value]),
    );
    return { AutomationExecutionId: fleet.startAutomation(str(params, 'DocumentName'), parameters, clientToken, tags) };
  },
  'SSM.DescribeAutomationExecutions': (params, { fleet }) => {
    const filters = (params.Filters ?? []) as { Key: string; Values: string[] }[];
    const matches = [...fleet.automations.values()].filter((a) =>
      filters.every((f) =>
        f.Key === 'ExecutionStatus'
          ? f.Values.includes(a.status)
          : f.Key === 'TagKey'
            ? f.Values.some((k) => k in a.tags)
            : f.Key === 'DocumentNamePrefix'
              ? f.Values.some((p) => a.documentName.startsWith(p))
              : true,
      ),
    );
    // As SSM pages it: at most MaxResults (1-50, default 50) a page, NextToken to go on.
    const pageSize = params.MaxResults === undefined ? 50 : Number(params.MaxResults);
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 50)
      throw new ProtocolError(
        'ValidationException',
        `1 validation error detected: Value '${String(params.MaxResults)}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 50`,
      );
    const from = typeof params.NextToken === 'string' ? Number(params.NextToken) : 0;
    if (!Number.isInteger(from) || from < 0)
      throw new ProtocolError('InvalidNextToken', 'The specified token is not valid.');
    const page = matches.slice(from, from + pageSize);
    return {
      AutomationExecutionMetadataList: page.map((a) => ({
        AutomationExecutionId: a.executionId,
        DocumentName: a.documentName,
        AutomationExecutionStatus: a.status,
        ExecutionStartTime: date(a.startTime),
      })),
      ...(from + pageSize < matches.length ? { NextToken: String(from + pageSize) } : {}),
    };
  },
  // The fleet's instances run the SSM Agent: every one that still exists is a managed instance.
  'SSM.DescribeInstanceInformation': (params, { fleet }) => {
    const filters = [
      ...((params.Filters ?? []) as { Key: string; Values: string[] }[]),
      ...((params.InstanceInformationFilterList ?? []) as { key: string; valueSet: string[] }[]).map((f) => ({
        Key: f.key,
        Values: f.valueSet,
      })),
    ];
    const ids = filters.find((f) => f.Key === 'InstanceIds')?.Values;
    const managed = [...fleet.instances.values()].filter(
      (i) => i.lifecycle !== 'Terminated' && (ids === undefined || ids.includes(i.id)),
    );
    const { items, nextToken } = page(managed, params, {
      max: 50,
      fallback: 50,
      sizeName: 'MaxResults',
      tokenName: 'NextToken',
    });
    return {
      InstanceInformationList: items.map((i) => ({
        InstanceId: i.id,
        PingStatus: i.ec2State === 'running' ? 'Online' : 'ConnectionLost',
        // The agent reports every few minutes while the instance runs; it last did when it stopped.
        LastPingDateTime: date(i.ec2State === 'running' ? fleet.clock.now() : (i.stoppedAt ?? fleet.clock.now())),
        AgentVersion: '3.3.1142.0',
        IsLatestVersion: true,
        PlatformType: 'Linux',
        PlatformName: 'Amazon Linux',
        PlatformVersion: '2023',
        ResourceType: 'EC2Instance',
        IPAddress: '10.0.1.10',
        ComputerName: `ip-10-0-1-10.${REGION}.compute.internal`,
      })),
      ...(nextToken ? { NextToken: nextToken } : {}),
    };
  },
  'SSM.GetAutomationExecution': (params, { fleet }) => {
    const id = str(params, 'AutomationExecutionId');
    const automation = fleet.automations.get(id);
    if (!automation)
      throw new ProtocolError('AutomationExecutionNotFoundException', `Automation execution ${id} not found`);
    return {
      AutomationExecution: {
        AutomationExecutionId: id,
        DocumentName: automation.documentName,
        AutomationExecutionStatus: automation.status,
        ExecutionStartTime: date(automation.startTime),
        ...(automation.status !== 'InProgress' ? { ExecutionEndTime: date(automation.finishAt) } : {}),
        Parameters: automation.parameters,
        ...(automation.status === 'Failed'
          ? { FailureMessage: 'Step fails when it is Poll action status for completion. Instance not found.' }
          : {}),
      },
    };
  },

  'SSM.GetParameter': (params, { fleet }) => {
    const name = str(params, 'Name');
    const parameter = fleet.parameters.get(name);
    if (!parameter) throw new ProtocolError('ParameterNotFound', `Parameter ${name} not found.`);
    return {
      Parameter: {
        Name: name,
        Type: 'String',
        Value: parameter.value,
        Version: parameter.version,
        DataType: 'text',
        LastModifiedDate: date(parameter.updatedAt),
        ARN: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${name}`,
      },
    };
  },
  'SSM.PutParameter': (params, { fleet }) => {
    const name = str(params, 'Name');
    const existing = fleet.parameters.get(name);
    if (existing && params.Overwrite !== true)
      throw new ProtocolError('ParameterAlreadyExists', `The parameter ${name} already exists.`);
    const version = (existing?.version ?? 0) + 1;
    fleet.parameters.set(name, { value: str(params, 'Value'), version, updatedAt: fleet.clock.now() });
    return { Version: version, Tier: 'Standard' };
  },

  // ---------------------------------------------------------------- CloudWatch (JSON 1.0, query-compatible)
  'CloudWatch.DescribeAlarms': (params, { fleet }) => {
    const names = list(params, 'AlarmNames');
    const prefix = typeof params.AlarmNamePrefix === 'string' ? params.AlarmNamePrefix : undefined;
    if (names.length > 0 && prefix !== undefined)
      throw new ProtocolError('ValidationError', 'AlarmNamePrefix and AlarmNames cannot both be specified.');
    const state = typeof params.StateValue === 'string' ? params.StateValue : undefined;
    const types = list(params, 'AlarmTypes');
    // No AlarmTypes: metric alarms only, as AWS answers. The sandbox has no composite alarms.
    const wantsMetricAlarms = types.length === 0 || types.includes('MetricAlarm');
    const matching = (wantsMetricAlarms ? [...fleet.alarms.values()] : [])
      .filter((a) => names.length === 0 || names.includes(a.name))
      .filter((a) => prefix === undefined || a.name.startsWith(prefix))
      .filter((a) => state === undefined || a.state === state)
      .sort((a, b) => a.name.localeCompare(b.name));
    const { items: alarms, nextToken } = page(matching, params, QUERY_PAGES);
    return {
      MetricAlarms: alarms.map((a) => ({
        AlarmName: a.name,
        AlarmArn: fleet.alarmArn(a.name),
        StateValue: a.state,
        StateReason: a.reason,
        StateUpdatedTimestamp: new Date(a.updatedAt),
        StateTransitionedTimestamp: new Date(a.updatedAt),
        Namespace: a.namespace,
        MetricName: a.metricName,
        Dimensions: Object.entries(a.dimensions).map(([Name, Value]) => ({ Name, Value })),
        ActionsEnabled: true,
        AlarmActions: a.actions ?? [],
        Period: a.settings?.period ?? 60,
        EvaluationPeriods: a.settings?.evaluationPeriods ?? 2,
        Statistic: a.settings?.statistic ?? 'Average',
        ComparisonOperator: a.settings?.comparisonOperator ?? 'GreaterThanThreshold',
        Threshold: a.settings?.threshold ?? 80,
      })),
      CompositeAlarms: [],
      ...(nextToken ? { NextToken: nextToken } : {}),
    };
  },

  /**
   * An operator's own alarm: created in INSUFFICIENT_DATA, or updated in place. Its state then
   * changes only by SetAlarmState (the sandbox has no metric behind it). An SNS alarm action
   * delivers by that topic; without one, by EventBridge only.
   */
  'CloudWatch.PutMetricAlarm': (params, { fleet, topics }) => {
    const name = str(params, 'AlarmName');
    const comparisonOperator = str(params, 'ComparisonOperator');
    const evaluationPeriods = Number(params.EvaluationPeriods);
    if (!Number.isInteger(evaluationPeriods) || evaluationPeriods < 1)
      throw new ProtocolError('ValidationError', 'EvaluationPeriods must be a positive integer.');
    const actions = list(params, 'AlarmActions');
    const unknownTopic = actions.find((arn) => arn.startsWith('arn:aws:sns:') && !topics.has(arn));
    if (unknownTopic)
      throw new ProtocolError('ValidationError', `Invalid SNS topic ${unknownTopic}: it does not exist.`);
    const dimensions = Object.fromEntries(
      ((Array.isArray(params.Dimensions) ? params.Dimensions : []) as { Name?: string; Value?: string }[]).map((d) => [
        String(d.Name),
        String(d.Value),
      ]),
    );
    const tags = Object.fromEntries(
      ((Array.isArray(params.Tags) ? params.Tags : []) as { Key?: string; Value?: string }[]).map((t) => [
        String(t.Key),
        String(t.Value ?? ''),
      ]),
    );
    fleet.putAlarm({
      name,
      namespace: typeof params.Namespace === 'string' ? params.Namespace : '',
      metricName: typeof params.MetricName === 'string' ? params.MetricName : '',
      dimensions,
      tags,
      actions,
      delivery: actions.some((arn) => arn.startsWith('arn:aws:sns:')) ? 'sns' : 'eventbridge',
      settings: {
        period: Number(params.Period ?? 60),
        evaluationPeriods,
        statistic: typeof params.Statistic === 'string' ? params.Statistic : 'Average',
        comparisonOperator,
        threshold: Number(params.Threshold ?? 0),
      },
    });
    return {};
  },

  'CloudWatch.SetAlarmState': (params, { fleet }) => {
    const name = str(params, 'AlarmName');
    const state = str(params, 'StateValue');
    str(params, 'StateReason');
    if (!['OK', 'ALARM', 'INSUFFICIENT_DATA'].includes(state))
      throw new ProtocolError(
        'ValidationError',
        `1 validation error detected: Value '${state}' at 'stateValue' failed to satisfy constraint: Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]`,
      );
    if (!fleet.alarms.has(name)) throw new ProtocolError('ResourceNotFound', `Alarm ${name} not found`, 404);
    fleet.changeAlarmState(name, state as 'OK' | 'ALARM' | 'INSUFFICIENT_DATA', String(params.StateReason));
    return {};
  },

  // ---------------------------------------------------------------- SNS (Query)
  'SNS.Publish': (params, ctx) => {
    const attributes: Record<string, string> = {};
    for (const entry of (params.MessageAttributes ?? []) as { Name: string; Value: { StringValue?: string } }[]) {
      if (entry?.Name) attributes[entry.Name] = entry.Value?.StringValue ?? '';
    }
    const topicArn = str(params, 'TopicArn');
    if (!ctx.topics.has(topicArn)) throw new ProtocolError('NotFound', 'Topic does not exist', 404);
    const message: Published = {
      topicArn,
      ...(typeof params.Subject === 'string' ? { subject: params.Subject } : {}),
      message: str(params, 'Message'),
      attributes,
      at: ctx.fleet.clock.now(),
    };
    ctx.published.push(message);
    ctx.delivered?.(message);
    return { MessageId: simulationRandom().uuid() };
  },

  // ---------------------------------------------------------------- SQS (JSON 1.0, query-compatible)
  'SQS.SendMessage': (params, ctx) => {
    const body = str(params, 'MessageBody');
    const queueUrl = str(params, 'QueueUrl');
    if (!ctx.queues.has(queueUrl.split('/').pop() ?? ''))
      throw new ProtocolError(
        'QueueDoesNotExist',
        'The specified queue does not exist.',
        400,
        'AWS.SimpleQueueService.NonExistentQueue',
      );
    ctx.queued.push({ queueUrl, body, at: ctx.fleet.clock.now() });
    // The SDK checks this digest of the body it sent.
    return {
      MessageId: simulationRandom().uuid(),
      MD5OfMessageBody: createHash('md5').update(body, 'utf8').digest('hex'),
    };
  },
};
