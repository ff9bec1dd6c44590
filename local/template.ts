import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yamlCfn from 'yaml-cfn';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const LOCAL_ACCOUNT = '123456789012';
export const LOCAL_REGION = 'us-east-1';

export interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: { BuildMethod?: string; BuildProperties?: { EntryPoints?: string[]; Format?: string } };
  Condition?: string;
}
export interface Template {
  Parameters: Record<string, { Default?: unknown }>;
  Resources: Record<string, Resource>;
  Outputs?: Record<string, { Value?: unknown; Description?: string }>;
  Globals: { Function: Record<string, unknown> };
}

/** template.yaml with CloudFormation tags (!Ref, !GetAtt, !Sub…) parsed into their JSON forms. */
/** template.yaml, or one of the nested applications' templates (templates/*.yaml). */
export function loadTemplate(file = 'template.yaml'): Template {
  return yamlCfn.yamlParse(readFileSync(join(ROOT, file), 'utf8')) as Template;
}

export function functionsOf(template: Template): [string, Resource][] {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::Serverless::Function');
}

/** What Ref / GetAtt Arn return for each resource type, with local names (the logical id). */
function localIdentity(
  logicalId: string,
  type: string,
  endpoint?: string,
  name?: string,
): { ref: string; arn: string } {
  const arn = (service: string, resource: string) => `arn:aws:${service}:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${resource}`;
  switch (type) {
    case 'AWS::SNS::Topic':
      return { ref: arn('sns', logicalId), arn: arn('sns', logicalId) };
    case 'AWS::SQS::Queue':
      // The SQS client sends to the queue URL's host, so a local queue lives on the local endpoint.
      return {
        ref: `${endpoint ?? `https://sqs.${LOCAL_REGION}.amazonaws.com`}/${LOCAL_ACCOUNT}/${logicalId}`,
        arn: arn('sqs', logicalId),
      };
    case 'AWS::Serverless::StateMachine':
    case 'AWS::StepFunctions::StateMachine':
      return { ref: arn('states', `stateMachine:${logicalId}`), arn: arn('states', `stateMachine:${logicalId}`) };
    case 'AWS::SSM::Parameter':
      return { ref: name ?? logicalId, arn: arn('ssm', `parameter${name ?? `/${logicalId}`}`) };
    case 'AWS::SSM::Document':
      return { ref: name ?? logicalId, arn: arn('ssm', `document/${name ?? logicalId}`) };
    case 'AWS::DynamoDB::Table':
      return { ref: logicalId, arn: arn('dynamodb', `table/${logicalId}`) };
    case 'AWS::IAM::Role':
      return { ref: logicalId, arn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/${logicalId}` };
    case 'AWS::Serverless::Function':
    case 'AWS::Lambda::Function':
      return { ref: logicalId, arn: arn('lambda', `function:${logicalId}`) };
    case 'AWS::S3::Bucket':
      return { ref: logicalId, arn: `arn:aws:s3:::${logicalId}` };
    case 'AWS::KMS::Key':
      return { ref: logicalId, arn: arn('kms', `key/${logicalId}`) };
    case 'AWS::Logs::LogGroup':
      return { ref: name ?? logicalId, arn: arn('logs', `log-group:${name ?? logicalId}:*`) };
    case 'AWS::CloudWatch::Alarm':
      return { ref: logicalId, arn: arn('cloudwatch', `alarm:${logicalId}`) };
    default:
      return { ref: logicalId, arn: arn('local', logicalId) };
  }
}

/** A resource's explicit name (e.g. an SSM parameter's Name), resolved. */
function resourceName(resource: Resource, template: Template, parameters: Record<string, string>): string | undefined {
  const name = resource.Properties?.Name ?? resource.Properties?.LogGroupName;
  return name === undefined ? undefined : String(resolveIntrinsics(name, template, parameters));
}

/** Ref AWS::NoValue: the property (or list item) is left out. */
const NO_VALUE = Symbol('AWS::NoValue');

/**
 * Resolves the intrinsic functions that appear in environment variables, as CloudFormation
 * would with the given parameter values and local resource names.
 */
export function resolveIntrinsics(
  value: unknown,
  template: Template,
  parameters: Record<string, string>,
  endpoint?: string,
): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value))
    return value.map((v) => resolveIntrinsics(v, template, parameters, endpoint)).filter((v) => v !== NO_VALUE);
  const obj = value as Record<string, unknown>;
  if ('Ref' in obj) {
    const name = String(obj.Ref);
    if (name === 'AWS::Region') return LOCAL_REGION;
    if (name === 'AWS::AccountId') return LOCAL_ACCOUNT;
    if (name === 'AWS::Partition') return 'aws';
    if (name === 'AWS::StackName') return 'self-healing-local';
    if (name === 'AWS::NoValue') return NO_VALUE;
    if (name in parameters) return parameters[name];
    if (name in template.Parameters) {
      const fallback = template.Parameters[name]?.Default;
      return typeof fallback === 'string' ? fallback : fallback === undefined ? '' : JSON.stringify(fallback);
    }
    const resource = template.Resources[name];
    if (resource) return localIdentity(name, resource.Type, endpoint, resourceName(resource, template, parameters)).ref;
    throw new Error(`Cannot resolve Ref ${name}`);
  }
  if ('Fn::Sub' in obj) {
    const [text, variables = {}] = (typeof obj['Fn::Sub'] === 'string' ? [obj['Fn::Sub']] : obj['Fn::Sub']) as [
      string,
      Record<string, unknown>?,
    ];
    return text.replace(/\$\{([\w:]+)(?:\.(\w+))?\}/g, (_m, ref: string, attribute?: string) =>
      String(
        !attribute && ref in variables
          ? resolveIntrinsics(variables[ref], template, parameters, endpoint)
          : resolveIntrinsics(
              attribute ? { 'Fn::GetAtt': [ref, attribute] } : { Ref: ref },
              template,
              parameters,
              endpoint,
            ),
      ),
    );
  }
  if ('Fn::If' in obj) {
    const [condition, whenTrue, whenFalse] = obj['Fn::If'] as [string, unknown, unknown];
    return resolveIntrinsics(
      conditionHolds(condition, template, parameters) ? whenTrue : whenFalse,
      template,
      parameters,
      endpoint,
    );
  }
  if ('Fn::Join' in obj) {
    const [separator, parts] = obj['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => String(resolveIntrinsics(part, template, parameters, endpoint))).join(separator);
  }
  if ('Fn::GetAtt' in obj) {
    const [logicalId = '', attribute = ''] = obj['Fn::GetAtt'] as string[];
    const resource = template.Resources[logicalId];
    if (!resource) throw new Error(`Cannot resolve GetAtt ${logicalId}.${attribute}`);
    const identity = localIdentity(logicalId, resource.Type, endpoint, resourceName(resource, template, parameters));
    if (attribute === 'Arn') return identity.arn;
    return logicalId;
  }
  return Object.fromEntries(
    Object.entries(obj)
      .map(([k, v]) => [k, resolveIntrinsics(v, template, parameters, endpoint)])
      .filter(([, v]) => v !== NO_VALUE),
  );
}

/** A template condition with these parameter values (Fn::Equals, Fn::Not, Fn::And, Fn::Or, Condition). */
export function conditionHolds(name: string, template: Template, parameters: Record<string, string>): boolean {
  const evaluate = (expression: unknown): boolean => {
    const e = expression as Record<string, unknown[]> & { Condition?: string };
    if (typeof e.Condition === 'string') return conditionHolds(e.Condition, template, parameters);
    if (e['Fn::Equals']) {
      const [a, b] = e['Fn::Equals'].map((v) => JSON.stringify(resolveIntrinsics(v, template, parameters)));
      return a === b;
    }
    if (e['Fn::Not']) return !evaluate(e['Fn::Not'][0]);
    if (e['Fn::And']) return e['Fn::And'].every(evaluate);
    if (e['Fn::Or']) return e['Fn::Or'].some(evaluate);
    throw new Error(`Cannot evaluate condition ${JSON.stringify(expression)}`);
  };
  const definition = (template as Template & { Conditions?: Record<string, unknown> }).Conditions?.[name];
  if (definition === undefined) throw new Error(`No condition ${name}`);
  return evaluate(definition);
}

/** A function's environment as Lambda would see it: Globals, then the function's own variables. */
export function functionEnvironment(
  template: Template,
  logicalId: string,
  parameters: Record<string, string> = {},
  endpoint?: string,
): Record<string, string> {
  const fn = template.Resources[logicalId];
  if (fn?.Type !== 'AWS::Serverless::Function') throw new Error(`${logicalId} is not a function of template.yaml`);
  const globals = (template.Globals.Function.Environment as { Variables?: object } | undefined)?.Variables ?? {};
  const own = (fn.Properties?.Environment as { Variables?: object } | undefined)?.Variables ?? {};
  const resolved = resolveIntrinsics({ ...globals, ...own }, template, parameters, endpoint) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(resolved).map(([k, v]) => [k, String(v)]));
}

export function stateMachineArn(): string {
  return localIdentity('RemediationStateMachine', 'AWS::Serverless::StateMachine').ref;
}
