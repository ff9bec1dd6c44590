// npm run iam: proves the stack's IAM from the code, against the AWS Service Authorization Reference.
// 1. Every AWS call each function's *bundle* can make (the SDK commands the real builder bundled),
//    the state machine's service integrations, and what the automation role's runbooks do.
// 2. Each call's IAM action, required resource types and condition keys, from
//    ../shared/data/iam-reference.json.
// 3. The roles as AWS creates them: template.yaml through the SAM transform (aws-sam-translator).
// A call passes when an Allow statement grants its action on an ARN of each required resource type
// (on "*" only when the action has none), on the very resource the function is configured to use,
// with only condition keys that the action or resource type supports.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import yamlCfn from 'yaml-cfn';
import { LOCAL_ACCOUNT, LOCAL_REGION, ROOT, type Template, resolveIntrinsics } from '../local/template';
import type { BuiltFunction } from './build';

// ------------------------------------------------------------------ the reference
interface ReferenceAction {
  access: string;
  conditionKeys: string[];
  resources: { required: boolean; type: string }[];
}
interface ReferenceService {
  actions: Record<string, ReferenceAction>;
  resourceTypes: Record<string, { arn: string; conditionKeys: string[] }>;
}

export const IAM_REFERENCE_PATH = process.env.IAM_REFERENCE ?? join(ROOT, '..', 'shared', 'data', 'iam-reference.json');

export function loadReference(path = IAM_REFERENCE_PATH): Record<string, ReferenceService> {
  if (!existsSync(path)) throw new Error(`No IAM reference at ${path} (set IAM_REFERENCE)`);
  return (JSON.parse(readFileSync(path, 'utf8')) as { services: Record<string, ReferenceService> }).services;
}

// ------------------------------------------------------------------ what the code calls
/** SDK client → IAM service prefix. */
const SERVICE_PREFIX: Record<string, string> = {
  AutoScalingClient: 'autoscaling',
  CloudWatchClient: 'cloudwatch',
  CodeDeployClient: 'codedeploy',
  DynamoDBClient: 'dynamodb',
  SFNClient: 'states',
  SNSClient: 'sns',
  SQSClient: 'sqs',
  SSMClient: 'ssm',
};

/**
 * The SDK's default credential chain bundles these clients; on Lambda the environment provider
 * answers first, so they never run there and need no grant.
 */
const CREDENTIAL_CHAIN_CLIENTS = new Set(['SSOClient', 'SSOOIDCClient', 'STSClient', 'SigninClient']);

/**
 * Commands the bundler keeps although nothing calls them (it cannot prove the libraries' module-level
 * code free of side effects). Each entry names the pattern that would call it: the test fails if our
 * source ever matches it, so an entry cannot hide a real call.
 */
export const BUNDLED_NOT_CALLED: Record<string, { why: string; calledBy: RegExp }> = {
  'dynamodb:Query': {
    why: "lib-dynamodb's paginateQuery, kept by the bundler",
    calledBy: /\bQueryCommand\b|paginateQuery/,
  },
  'dynamodb:Scan': {
    why: "lib-dynamodb's paginateScan, kept by the bundler",
    calledBy: /\bScanCommand\b|paginateScan/,
  },
  'dynamodb:DescribeEndpoints': {
    why: 'endpoint discovery, off unless endpointDiscoveryEnabled is set',
    calledBy: /endpointDiscoveryEnabled/,
  },
};

export interface Call {
  /** Role logical id in the translated template. */
  role: string;
  action: string;
  /** Concrete ARNs the call must be allowed on (empty: any ARN of the required types). */
  on: string[];
  why: string;
}

/** The SDK commands a bundle contains, as IAM actions: `class extends B(ep, mw, "Op", schema)` where B = makeBuilder(…, "<X>Client", …). */
export function bundledActions(code: string): { action: string; client: string }[] {
  const builders = new Map(
    [...code.matchAll(/([\w$]+)=[\w$]+\([\w$]+,"[\w.]+","(\w+Client)"/g)].map((m) => [m[1] as string, m[2] as string]),
  );
  const found = new Map<string, { action: string; client: string }>();
  for (const m of code.matchAll(/class extends ([\w$]+)\([\w$]+,[\w$]+,"(\w+)",[\w$]+\)/g)) {
    const client = builders.get(m[1] as string) ?? 'unknown';
    const action = `${SERVICE_PREFIX[client] ?? client}:${m[2] as string}`;
    found.set(action, { action, client });
  }
  return [...found.values()];
}

// ------------------------------------------------------------------ the translated template
export function translatedTemplate(): Template {
  const json = execFileSync('python3', [join(ROOT, 'scripts', 'sam_translate.py'), join(ROOT, 'template.yaml')], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const template = JSON.parse(json) as Template;
  template.Parameters ??= {};
  template.Globals ??= { Function: {} };
  return template;
}

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
export interface Grant {
  role: string;
  policy: string;
  sid: string;
  actions: string[];
  resources: string[];
  conditionKeys: string[];
}

const asList = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** Every Allow statement of every inline policy of every role (managed policies are AWS's own: listed, not checked). */
export function grantsOf(template: Template): Grant[] {
  const grants: Grant[] = [];
  for (const [role, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::IAM::Role') continue;
    for (const policy of asList(
      resource.Properties?.Policies as { PolicyName: string; PolicyDocument: { Statement: unknown } }[] | undefined,
    )) {
      const statements = asList(
        resolveIntrinsics(policy.PolicyDocument.Statement, template, {}) as Statement | Statement[],
      );
      statements.forEach((s, i) => {
        if (s.Effect !== 'Allow') return;
        grants.push({
          role,
          policy: policy.PolicyName,
          sid: s.Sid ?? `#${i}`,
          actions: asList(s.Action),
          resources: asList(s.Resource).map(String),
          conditionKeys: Object.values(s.Condition ?? {}).flatMap((c) => Object.keys(c)),
        });
      });
    }
  }
  return grants;
}

// ------------------------------------------------------------------ matching
const glob = (pattern: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );

/** An ARN format of the reference (arn:${Partition}:sqs:${Region}:${Account}:${QueueName}) as a pattern. */
const arnFormat = (format: string) =>
  new RegExp(
    `^${format
      .split(/(\$\{[^}]+\})/)
      .map((part) =>
        /^\$\{(Account|Region)\}$/.test(part)
          ? '[^:]*'
          : part.startsWith('${')
            ? '.+'
            : part.replace(/[.+^$()|[\]\\*?]/g, '\\$&'),
      )
      .join('')}$`,
  );

/** Does a policy resource (with * wildcards) cover ARNs of this format? Its wildcards stand for any non-empty text. */
const resourceHasFormat = (resource: string, format: string) =>
  resource !== '*' && arnFormat(format).test(resource.replace(/\*/g, 'x'));

/**
 * Resource types the reference marks required for an action but that are alternatives: one request
 * is about one of them (a Step Functions execution is standard or express, never both).
 */
const ALTERNATIVE_TYPES: string[][] = [['execution', 'express']];

/** Keys any request carries, whatever the service (aws:ResourceTag and aws:RequestTag are not among them). */
const GLOBAL_KEYS = [
  /^aws:(Principal|Source|Requested|Secure|CalledVia|ViaAWSService|CurrentTime|EpochTime|MultiFactor|userid|username|TokenIssueTime)/i,
];

function keySupported(key: string, supported: string[]): boolean {
  if (GLOBAL_KEYS.some((re) => re.test(key))) return true;
  return supported.some((s) => glob(s.replace(/\$\{[^}]+\}/g, '*')).test(key));
}

export interface Finding {
  call: Call;
  problem: string;
}

/**
 * The grants that let `call` through, or why none does. AWS authorizes each resource a request
 * touches on its own: every required resource type, and every concrete resource of `call.on`, must
 * be allowed by some statement (not necessarily the same one).
 */
export function checkCall(
  call: Call,
  grants: Grant[],
  reference: Record<string, ReferenceService>,
): { ok: Grant[]; problems: string[] } {
  const [prefix = '', name = ''] = call.action.split(':');
  const service = reference[prefix];
  const action = service?.actions[name];
  if (!service || !action) return { ok: [], problems: [`${call.action} is not an action of the reference`] };
  const requiredTypes = action.resources.filter((r) => r.required).map((r) => r.type);
  // Of alternative types, the first one the action lists stands for the group.
  const required = requiredTypes
    .filter(
      (type) =>
        !ALTERNATIVE_TYPES.some(
          (group) =>
            group.includes(type) &&
            group.some(
              (other) =>
                other !== type &&
                requiredTypes.indexOf(other) !== -1 &&
                requiredTypes.indexOf(other) < requiredTypes.indexOf(type),
            ),
        ),
    )
    .map((type) => ({ type, format: service.resourceTypes[type]?.arn ?? '' }));
  const supportedKeys = [
    ...action.conditionKeys,
    ...action.resources.flatMap((r) => service.resourceTypes[r.type]?.conditionKeys ?? []),
  ];
  const problems: string[] = [];
  const valid: Grant[] = [];
  for (const grant of grants.filter((g) => g.role === call.role && g.actions.some((a) => glob(a).test(call.action)))) {
    const unsupported = grant.conditionKeys.filter((k) => !keySupported(k, supportedKeys));
    if (unsupported.length)
      problems.push(
        `${grant.policy}/${grant.sid}: condition key ${unsupported.join(', ')} is supported by neither ${call.action} nor its resource types, so the statement never applies`,
      );
    else if (action.resources.length === 0 && !grant.resources.includes('*'))
      problems.push(
        `${grant.policy}/${grant.sid}: ${call.action} has no resource type, so only Resource "*" grants it (AccessDenied on ${grant.resources.join(', ')})`,
      );
    else if (action.resources.length > 0 && grant.resources.includes('*'))
      problems.push(
        `${grant.policy}/${grant.sid}: ${call.action} on "*" where it takes ${action.resources.map((r) => r.type).join(' / ')} ARNs`,
      );
    else valid.push(grant);
  }
  const ok = new Set<Grant>();
  const need = (what: string, covers: (resource: string) => boolean) => {
    const by = valid.filter((g) => g.resources.some(covers));
    by.forEach((g) => ok.add(g));
    if (by.length === 0) problems.push(`nothing allows it on ${what}`);
  };
  if (action.resources.length === 0) need('"*"', (r) => r === '*');
  for (const { type, format } of required) need(`${type} (${format})`, (r) => resourceHasFormat(r, format));
  for (const arn of call.on) need(arn, (r) => glob(r).test(arn));
  // Only optional resource types and no known target: any valid statement grants it.
  if (action.resources.length > 0 && required.length === 0 && call.on.length === 0)
    need('any of its resource types', () => true);
  const denied = problems.some((p) => p.startsWith('nothing allows'));
  if (valid.length === 0 && problems.length === 0) problems.push(`no statement of ${call.role} allows ${call.action}`);
  return denied || valid.length === 0 ? { ok: [], problems } : { ok: [...ok], problems: [] };
}

// ------------------------------------------------------------------ the calls of this stack
interface ServerlessFunction {
  Properties?: { Environment?: { Variables?: Record<string, unknown> }; DeadLetterQueue?: { TargetArn?: unknown } };
}

/** The template resources a function's environment names (its targets), as logical ids. */
function referencedResources(value: unknown): string[] {
  if (typeof value !== 'object' || value === null) return [];
  if (Array.isArray(value)) return value.flatMap(referencedResources);
  const obj = value as Record<string, unknown>;
  if (typeof obj.Ref === 'string') return [obj.Ref];
  if (Array.isArray(obj['Fn::GetAtt'])) return [String(obj['Fn::GetAtt'][0])];
  return Object.values(obj).flatMap(referencedResources);
}

/** KMS keys that encrypt a topic or queue: sending to it also needs GenerateDataKey and Decrypt on the key. */
function encryptionKeyOf(template: Template, logicalId: string): string | undefined {
  const props = template.Resources[logicalId]?.Properties ?? {};
  const key = props.KmsMasterKeyId;
  return key === undefined ? undefined : referencedResources(key)[0];
}

const ARN_OF = (template: Template, logicalId: string) =>
  String(resolveIntrinsics({ 'Fn::GetAtt': [logicalId, 'Arn'] }, template, {}));

/** Sending to a topic or queue encrypted with a KMS key also needs GenerateDataKey and Decrypt on the key. */
function keyCalls(source: Template, translated: Template, role: string, target: string, why: string): Call[] {
  const key = encryptionKeyOf(source, target);
  return key
    ? ['kms:GenerateDataKey', 'kms:Decrypt'].map((action) => ({
        role,
        action,
        on: [ARN_OF(translated, key)],
        why: `${why}, encrypted with ${key}`,
      }))
    : [];
}

/** Which SDK calls of a function act on which of its target resources, by the resource's type. */
const TARGET_TYPES: Record<string, string[]> = {
  'AWS::SQS::Queue': ['sqs:SendMessage'],
  'AWS::SNS::Topic': ['sns:Publish'],
  'AWS::DynamoDB::Table': ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
  'AWS::SSM::Parameter': ['ssm:GetParameter'],
  'AWS::Serverless::StateMachine': ['states:StartExecution'],
};

/**
 * What AWS checks, as the caller, on top of a call (each service's documentation): creating an
 * automation with Tags tags it, passing AutomationAssumeRole passes a role, and CodeDeploy reads the
 * deployment configuration and revision a CreateDeployment names. `target`: the call is on the
 * function's configured resource of that type.
 */
const DEPENDENT_ACTIONS: Record<string, { action: string; why: string; target?: string }[]> = {
  'ssm:StartAutomationExecution': [
    { action: 'ssm:AddTagsToResource', why: 'Tags on the new automation execution' },
    { action: 'iam:PassRole', why: 'AutomationAssumeRole', target: 'AWS::IAM::Role' },
  ],
  'codedeploy:CreateDeployment': [
    { action: 'codedeploy:GetDeploymentConfig', why: "the deployment group's deployment configuration" },
    { action: 'codedeploy:GetApplicationRevision', why: 'the revision it deploys' },
  ],
};

export function functionCalls(
  source: Template,
  translated: Template,
  bundles: BuiltFunction[],
): { calls: Call[]; skipped: { fn: string; action: string; why: string }[] } {
  const calls: Call[] = [];
  const skipped: { fn: string; action: string; why: string }[] = [];
  for (const bundle of bundles) {
    const fn = source.Resources[bundle.logicalId] as ServerlessFunction | undefined;
    const role = `${bundle.logicalId}Role`;
    const targets = referencedResources(fn?.Properties?.Environment?.Variables ?? {});
    for (const { action, client } of bundledActions(readFileSync(bundle.outfile, 'utf8'))) {
      if (CREDENTIAL_CHAIN_CLIENTS.has(client)) continue;
      const notCalled = BUNDLED_NOT_CALLED[action];
      if (notCalled) {
        skipped.push({ fn: bundle.logicalId, action, why: notCalled.why });
        continue;
      }
      const on = targets
        .filter((t) => TARGET_TYPES[source.Resources[t]?.Type ?? '']?.includes(action))
        .map((t) => ARN_OF(translated, t));
      calls.push({ role, action, on, why: `${bundle.logicalId} bundles ${client} ${action.split(':')[1] ?? ''}` });
      for (const dependent of DEPENDENT_ACTIONS[action] ?? []) {
        const dependentOn = dependent.target
          ? targets.filter((t) => source.Resources[t]?.Type === dependent.target).map((t) => ARN_OF(translated, t))
          : [];
        calls.push({ role, action: dependent.action, on: dependentOn, why: `${action}: ${dependent.why}` });
      }
      for (const target of targets.filter((t) => TARGET_TYPES[source.Resources[t]?.Type ?? '']?.includes(action))) {
        calls.push(...keyCalls(source, translated, role, target, `${action} to ${target}`));
      }
    }
    // Lambda itself sends failed asynchronous events to the function's dead-letter queue, as the function's role.
    const dlq = referencedResources(fn?.Properties?.DeadLetterQueue?.TargetArn)[0];
    if (dlq) {
      calls.push({
        role,
        action: 'sqs:SendMessage',
        on: [ARN_OF(translated, dlq)],
        why: `Lambda's dead-letter queue of ${bundle.logicalId}`,
      });
      calls.push(...keyCalls(source, translated, role, dlq, `dead letters to ${dlq}`));
    }
  }
  return { calls, skipped };
}

interface AslTask {
  Type: string;
  Resource?: string;
  Parameters?: { FunctionName?: string };
  ItemProcessor?: { States: Record<string, AslTask> };
  Iterator?: { States: Record<string, AslTask> };
}

/** Every state, a Map state's item processor's included (their Tasks run as the state machine's role too). */
function everyTask(states: Record<string, AslTask>): [string, AslTask][] {
  return Object.entries(states).flatMap(([name, state]) => {
    const inner = state.ItemProcessor ?? state.Iterator;
    return [[name, state] as [string, AslTask], ...(inner ? everyTask(inner.States) : [])];
  });
}

/** What Step Functions does as the state machine's role: invoke each Task's function, call the services Tasks call directly, deliver logs when Logging is on. */
export function stateMachineCalls(
  source: Template,
  translated: Template,
  asl: { States: Record<string, AslTask> },
): Call[] {
  const [id, machine] =
    Object.entries(source.Resources).find(([, r]) => r.Type === 'AWS::Serverless::StateMachine') ?? [];
  if (!id || !machine) return [];
  const role = `${id}Role`;
  const substitutions = (machine.Properties?.DefinitionSubstitutions ?? {}) as Record<string, unknown>;
  const resolve = (text: string) =>
    text.replace(/\$\{(\w+)\}/g, (_m, name: string) => String(resolveIntrinsics(substitutions[name], translated, {})));
  const calls: Call[] = [];
  /** The resource a `${Placeholder}` in a direct integration's Parameters stands for (its logical id). */
  const resourceOf = (value: unknown): string | undefined => {
    const placeholder = /^\$\{(\w+)\}$/.exec(String(value))?.[1];
    const ref = placeholder ? (substitutions[placeholder] as { Ref?: string } | undefined)?.Ref : undefined;
    return ref && source.Resources[ref] ? ref : undefined;
  };
  for (const [name, state] of everyTask(asl.States)) {
    if (state.Type !== 'Task' || !state.Resource) continue;
    // An optimized integration (arn:aws:states:::service:action) is the service's API called as the role.
    const direct = /^arn:aws:states:::(dynamodb|sns):(\w+)$/.exec(state.Resource);
    if (direct) {
      const [, service = '', api = ''] = direct;
      const parameters = (state.Parameters ?? {}) as Record<string, unknown>;
      const resource = resourceOf(service === 'sns' ? parameters.TopicArn : parameters.TableName);
      if (!resource) throw new Error(`Task "${name}": cannot tell which resource ${state.Resource} acts on`);
      calls.push({
        role,
        action: `${service}:${api.charAt(0).toUpperCase()}${api.slice(1)}`,
        on: [ARN_OF(translated, resource)],
        why: `Task "${name}"`,
      });
      calls.push(...keyCalls(source, translated, role, resource, `Task "${name}"`));
      continue;
    }
    const target = state.Resource.startsWith('arn:aws:states:::lambda:invoke')
      ? state.Parameters?.FunctionName
      : state.Resource;
    if (!target) throw new Error(`Task "${name}": cannot tell what it invokes (${state.Resource})`);
    calls.push({ role, action: 'lambda:InvokeFunction', on: [resolve(target)], why: `Task "${name}"` });
  }
  if (machine.Properties?.Logging) {
    // What Step Functions calls to deliver execution logs to CloudWatch Logs (Step Functions developer guide, "IAM policies for logging").
    for (const action of [
      'CreateLogDelivery',
      'GetLogDelivery',
      'UpdateLogDelivery',
      'DeleteLogDelivery',
      'ListLogDeliveries',
      'PutResourcePolicy',
      'DescribeResourcePolicies',
      'DescribeLogGroups',
    ]) {
      calls.push({ role, action: `logs:${action}`, on: [], why: 'Logging to CloudWatch Logs' });
    }
  }
  return calls;
}

/**
 * What SSM Automation does, as the automation role, for each step action of a runbook (AWS Systems
 * Manager "Automation actions reference"); aws:changeInstanceState also starts instances whose EBS
 * volumes may be encrypted with a customer managed key, which needs a grant on that key.
 */
const AUTOMATION_STEP_ACTIONS: Record<string, string[]> = {
  'aws:runCommand': ['ssm:SendCommand', 'ssm:ListCommands', 'ssm:ListCommandInvocations'],
  'aws:changeInstanceState': [
    'ec2:StopInstances',
    'ec2:StartInstances',
    'ec2:DescribeInstances',
    'ec2:DescribeInstanceStatus',
    'kms:CreateGrant',
  ],
  'aws:executeAwsApi': [],
};

/** AWS-owned runbooks the platform may start, with their step actions (from the documents AWS publishes). */
const AWS_OWNED_RUNBOOKS: Record<string, { steps: { action: string; inputs?: Record<string, unknown> }[] }> = {
  'AWS-RestartEC2Instance': {
    steps: [
      { action: 'aws:changeInstanceState', inputs: { DesiredState: 'stopped' } },
      { action: 'aws:changeInstanceState', inputs: { DesiredState: 'running' } },
    ],
  },
};

export function automationRoleCalls(source: Template, translated: Template): Call[] {
  const roleId = Object.keys(source.Resources).find(
    (id) =>
      source.Resources[id]?.Type === 'AWS::IAM::Role' &&
      JSON.stringify(source.Resources[id]?.Properties?.AssumeRolePolicyDocument).includes('ssm.amazonaws.com'),
  );
  if (!roleId) return [];
  // The runbooks the automation function may start: the documents its StartAutomationExecution grant names.
  const starter = grantsOf(translated).filter((g) => g.actions.includes('ssm:StartAutomationExecution'));
  const documentNames = new Set(
    starter
      .flatMap((g) => g.resources)
      .map((arn) => /:(?:automation-definition|document)\/([^:]+)/.exec(arn)?.[1])
      .filter((n): n is string => Boolean(n)),
  );
  const calls: Call[] = [];
  for (const name of documentNames) {
    const own = Object.entries(source.Resources).find(
      ([, r]) =>
        r.Type === 'AWS::SSM::Document' &&
        glob(name).test(String(resolveIntrinsics(r.Properties?.Name, translated, {}))),
    );
    const steps = own
      ? ((own[1].Properties?.Content as { mainSteps?: { action: string; inputs?: Record<string, unknown> }[] })
          .mainSteps ?? [])
      : AWS_OWNED_RUNBOOKS[name]?.steps;
    if (!steps) throw new Error(`The automation function may start ${name}, whose steps this check does not know`);
    for (const step of steps) {
      const actions = AUTOMATION_STEP_ACTIONS[step.action];
      if (!actions) throw new Error(`Runbook ${name}: step action ${step.action} is not in AUTOMATION_STEP_ACTIONS`);
      for (const action of actions)
        calls.push({ role: roleId, action, on: [], why: `runbook ${name}: ${step.action}` });
      const commandDocument = step.inputs?.DocumentName;
      if (typeof commandDocument === 'string') {
        // The command's document (AWS-owned: no account in its ARN) and the instance it runs on.
        const on = [
          `arn:aws:ssm:${LOCAL_REGION}::document/${commandDocument}`,
          `arn:aws:ec2:${LOCAL_REGION}:${LOCAL_ACCOUNT}:instance/i-0123456789abcdef0`,
        ];
        calls.push({
          role: roleId,
          action: 'ssm:SendCommand',
          on,
          why: `runbook ${name} runs ${commandDocument} on its instance`,
        });
      }
    }
  }
  return calls;
}

/** What AWS FIS does as the experiment's role for each action (AWS FIS actions reference); stopped instances may have encrypted volumes. */
const FIS_ACTIONS: Record<string, string[]> = {
  'aws:ec2:stop-instances': ['ec2:StopInstances', 'ec2:StartInstances', 'ec2:DescribeInstances', 'kms:CreateGrant'],
};

export function experimentCalls(source: Template): Call[] {
  return Object.values(source.Resources)
    .filter((r) => r.Type === 'AWS::FIS::ExperimentTemplate')
    .flatMap((experiment) => {
      const role = referencedResources(experiment.Properties?.RoleArn)[0] ?? '';
      return Object.values((experiment.Properties?.Actions ?? {}) as Record<string, { ActionId: string }>).flatMap(
        ({ ActionId }) => {
          const actions = FIS_ACTIONS[ActionId];
          if (!actions) throw new Error(`FIS action ${ActionId} is not in FIS_ACTIONS`);
          return actions.map((action) => ({ role, action, on: [], why: `FIS ${ActionId}` }));
        },
      );
    });
}

export interface IamReport {
  calls: Call[];
  findings: Finding[];
  skipped: { fn: string; action: string; why: string }[];
  /** Inline grants no call uses: role, policy/sid, action. */
  unused: string[];
}

export function checkStack(bundles: BuiltFunction[], reference = loadReference()): IamReport {
  const source = yamlCfn.yamlParse(readFileSync(join(ROOT, 'template.yaml'), 'utf8')) as Template;
  const translated = translatedTemplate();
  const asl = JSON.parse(readFileSync(join(ROOT, 'statemachines', 'remediation.asl.json'), 'utf8')) as Parameters<
    typeof stateMachineCalls
  >[2];
  const { calls: fnCalls, skipped } = functionCalls(source, translated, bundles);
  const calls = [
    ...fnCalls,
    ...stateMachineCalls(source, translated, asl),
    ...automationRoleCalls(source, translated),
    ...experimentCalls(source),
  ];
  const grants = grantsOf(translated);
  const findings: Finding[] = [];
  const used = new Set<Grant>();
  for (const call of calls) {
    const { ok, problems } = checkCall(call, grants, reference);
    ok.forEach((g) => used.add(g));
    findings.push(...problems.map((problem) => ({ call, problem })));
  }
  const unused = grants.flatMap((g) =>
    g.actions
      .filter((a) => !calls.some((c) => c.role === g.role && glob(a).test(c.action) && used.has(g)))
      .map((a) => `${g.role} ${g.policy}/${g.sid}: ${a}`),
  );
  return { calls, findings, skipped, unused };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { builtFunctions } = await import('./build');
  let built: ReturnType<typeof builtFunctions>;
  try {
    built = builtFunctions();
  } catch (error) {
    // No bundles, or older than the source: one line that says what to do.
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(2);
  }
  const report = checkStack(built);
  console.log(`${report.calls.length} calls checked against ${IAM_REFERENCE_PATH}`);
  for (const f of report.findings) console.log(`DENIED  ${f.call.role} ${f.call.action} (${f.call.why}): ${f.problem}`);
  for (const u of report.unused) console.log(`UNUSED  ${u}`);
  for (const s of report.skipped) console.log(`BUNDLED ${s.fn} ${s.action}: not called (${s.why})`);
  process.exitCode = report.findings.length ? 1 : 0;
}
