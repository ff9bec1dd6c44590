import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import yamlCfn from 'yaml-cfn';
import { matchesPattern } from '../../local/eventbridge/pattern';
import { ROOT, type Template, resolveIntrinsics } from '../../local/template';
import { IAM_REFERENCE_PATH, checkCall, grantsOf, loadReference, translatedTemplate } from '../../scripts/iam-check';

// pipeline/pipeline.yaml and buildspec.yml: what the delivery pipeline promises.
const pipeline = yamlCfn.yamlParse(readFileSync(join(ROOT, 'pipeline', 'pipeline.yaml'), 'utf8')) as Template;
const buildspec = readFileSync(join(ROOT, 'buildspec.yml'), 'utf8');
const resolve = (value: unknown) =>
  resolveIntrinsics(value, pipeline, {
    ConnectionArn: '',
    BranchName: 'main',
    AppStackPrefix: 'self-healing',
    CodeCommitRepositoryName: 'self-healing',
  });
const resources = pipeline.Resources;
const stages = (resources.Pipeline?.Properties?.Stages ?? []) as { Name: string; Actions: unknown[] }[];
/** The pipeline's actions with their conditions chosen: CodeCommit as the source. */
const actions = stages.flatMap((s) =>
  s.Actions.map(
    (a) =>
      resolve(a) as {
        Name: string;
        Configuration?: Record<string, unknown>;
        InputArtifacts?: { Name: string }[];
        OutputArtifacts?: { Name: string }[];
      },
  ),
);
const projectEnv = (id: string) =>
  Object.fromEntries(
    (
      resources[id]?.Properties?.Environment as { EnvironmentVariables: { Name: string; Value: unknown }[] }
    ).EnvironmentVariables.map((v) => [v.Name, resolve(v.Value)]),
  );
/** The buildspec's shell for one STAGE (the part of the build command under its `if`). */
const deployBranch = buildspec.slice(buildspec.indexOf('        else'), buildspec.indexOf('        fi\n\nartifacts'));
const testBranch = buildspec.slice(
  buildspec.indexOf('if [ "$STAGE" = "test" ]; then\n          # sam build'),
  buildspec.indexOf('        else'),
);

describe('pipeline/pipeline.yaml', () => {
  it('starts on a push to the CodeCommit branch (the source does not poll)', () => {
    const source = actions.find((a) => a.Name === 'Source');
    expect(source?.Configuration).toMatchObject({ PollForSourceChanges: false });
    const rule = resources.SourceChangeRule;
    expect(rule?.Condition).toBe('UseCodeCommit');
    const push = {
      source: 'aws.codecommit',
      'detail-type': 'CodeCommit Repository State Change',
      account: '123456789012',
      region: 'us-east-1',
      resources: ['arn:aws:codecommit:us-east-1:123456789012:self-healing'],
      detail: {
        event: 'referenceUpdated',
        referenceType: 'branch',
        referenceName: 'main',
        repositoryName: 'self-healing',
        commitId: 'abc123',
      },
    };
    const pattern = resolve(rule?.Properties?.EventPattern);
    expect(matchesPattern(pattern, push)).toBe(true);
    expect(matchesPattern(pattern, { ...push, detail: { ...push.detail, referenceName: 'feature/x' } })).toBe(false);
    const target = (resolve(rule?.Properties?.Targets) as { Arn: string; RoleArn: string }[])[0];
    expect(target?.Arn).toBe('arn:aws:codepipeline:us-east-1:123456789012:Pipeline');
    const role = resolve(resources.SourceChangeRuleRole?.Properties?.Policies) as {
      PolicyDocument: { Statement: { Action: string; Resource: string }[] };
    }[];
    expect(role.flatMap((p) => p.PolicyDocument.Statement)).toContainEqual(
      expect.objectContaining({ Action: 'codepipeline:StartPipelineExecution', Resource: target?.Arn }),
    );
  });

  it('builds and packages once, and deploys that package to staging and then prod', () => {
    const test = actions.find((a) => a.Name === 'Test');
    expect(test?.OutputArtifacts).toEqual([{ Name: 'Packaged' }]);
    for (const name of ['DeployStaging', 'DeployProd'])
      expect([name, actions.find((a) => a.Name === name)?.InputArtifacts]).toEqual([name, [{ Name: 'Packaged' }]]);
    expect(testBranch).toMatch(/npm test[\s\S]*sam package [\s\S]*--output-template-file packaged.yaml/);
    expect(deployBranch).toMatch(/sam deploy --template-file packaged.yaml/);
    expect(deployBranch).not.toMatch(/sam build|npm (ci|test)/);
    expect(buildspec).toMatch(/artifacts:\n  files:\n(    - .+\n)*    - packaged.yaml/);
  });

  it('smoke-checks staging before prod can be approved', () => {
    expect(projectEnv('DeployStagingProject')).toMatchObject({
      SMOKE_CHECK: 'true',
      STACK_NAME: 'self-healing-staging',
    });
    expect(deployBranch).toMatch(
      /if \[ "\$SMOKE_CHECK" = "true" \]; then bash scripts\/smoke-check.sh "\$STACK_NAME"; fi/,
    );
    expect(stages.map((s) => s.Name)).toEqual(['Source', 'BuildAndTest', 'DeployStaging', 'ApproveProd', 'DeployProd']);
  });

  it("puts the lock file's esbuild on PATH before sam build (the builder installs production dependencies only)", () => {
    expect(testBranch).toMatch(/export PATH="\$CODEBUILD_SRC_DIR\/node_modules\/.bin:\$PATH"[\s\S]*npm test/);
    expect(buildspec).toMatch(/npm ci/);
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string; dev?: boolean }>;
    };
    expect(lock.packages['node_modules/esbuild']).toMatchObject({ version: expect.any(String) });
  });
});

/**
 * What CloudFormation's handlers call, as the execution role, to create, update, roll back and
 * delete the resource types whose service the role does not grant wholesale (transcribed from the
 * types' registry schemas, `handlers.*.permissions`; each action is checked to exist in the
 * Service Authorization Reference). One representative ARN of this stack's resources for each.
 */
const ROLE = 'arn:aws:iam::123456789012:role/self-healing-staging-PlanFunctionRole-1A2B3C4D';
const HANDLER_PERMISSIONS: Record<string, [string, string][]> = {
  'AWS::IAM::Role': [
    'CreateRole',
    'GetRole',
    'UpdateRole',
    'UpdateRoleDescription',
    'UpdateAssumeRolePolicy',
    'DeleteRole',
    'TagRole',
    'UntagRole',
    'ListRoleTags',
    'PutRolePolicy',
    'GetRolePolicy',
    'DeleteRolePolicy',
    'ListRolePolicies',
    'AttachRolePolicy',
    'DetachRolePolicy',
    'ListAttachedRolePolicies',
  ].map((a) => [`iam:${a}`, ROLE]),
  'AWS::SSM::Parameter': [
    'PutParameter',
    'GetParameters',
    'DeleteParameter',
    'AddTagsToResource',
    'RemoveTagsFromResource',
    'ListTagsForResource',
  ].map((a) => [`ssm:${a}`, 'arn:aws:ssm:us-east-1:123456789012:parameter/self-healing-staging/paused']),
  'AWS::SSM::Document': [
    'CreateDocument',
    'GetDocument',
    'DescribeDocument',
    'UpdateDocument',
    'UpdateDocumentDefaultVersion',
    'DeleteDocument',
    'AddTagsToResource',
    'ListTagsForResource',
  ].map((a) => [`ssm:${a}`, 'arn:aws:ssm:us-east-1:123456789012:document/self-healing-staging-RestartService']),
  // Lambda reads the packaged code, and takes its role, as CloudFormation's role.
  'AWS::Lambda::Function': [
    ['iam:PassRole', ROLE],
    ['s3:GetObject', 'arn:aws:s3:::ArtifactBucket/packages/0123abc/handler.zip'],
    ['kms:Decrypt', 'arn:aws:kms:us-east-1:123456789012:key/ArtifactKey'],
  ],
  // The nested dashboard application: its stack, and its packaged template.
  'AWS::CloudFormation::Stack': [
    ...['CreateStack', 'UpdateStack', 'DeleteStack', 'DescribeStacks'].map((a): [string, string] => [
      `cloudformation:${a}`,
      'arn:aws:cloudformation:us-east-1:123456789012:stack/self-healing-staging-Dashboard-1A2B3C4D/abc',
    ]),
    ['s3:GetObject', 'arn:aws:s3:::ArtifactBucket/packages/0123abc/dashboard.template'],
  ],
  'AWS::StepFunctions::StateMachine': [
    ['iam:PassRole', ROLE],
    ['s3:GetObject', 'arn:aws:s3:::ArtifactBucket/packages/0123abc/remediation.asl.json'],
  ],
};
/** The IAM service prefix of a CloudFormation resource type. */
const SERVICE_OF: Record<string, string> = {
  StepFunctions: 'states',
  CloudFormation: 'cloudformation',
  CloudWatch: 'cloudwatch',
  Logs: 'logs',
  Events: 'events',
  KMS: 'kms',
  SNS: 'sns',
  SQS: 'sqs',
  DynamoDB: 'dynamodb',
  FIS: 'fis',
  IAM: 'iam',
  SSM: 'ssm',
  Lambda: 'lambda',
};

const reference = existsSync(IAM_REFERENCE_PATH) ? loadReference() : undefined;
if (!reference && process.env.CI !== 'true')
  console.warn(`No IAM reference at ${IAM_REFERENCE_PATH}: skipping the pipeline role checks.`);

(reference || process.env.CI === 'true' ? describe : describe.skip)('pipeline roles against what they must do', () => {
  const grants = grantsOf(pipeline);
  const allowed = (role: string, action: string, arn: string) =>
    grants.some(
      (g) =>
        g.role === role &&
        g.actions.some((a) => new RegExp(`^${a.replace(/\*/g, '.*')}$`, 'i').test(action)) &&
        g.resources.some(
          (r) => r === '*' || new RegExp(`^${r.replace(/[.?+^$()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(arn),
        ),
    );

  it('lets CloudFormation create, update, roll back and delete every resource type of the application', () => {
    const types = [...new Set(Object.values(translatedTemplate().Resources).map((r) => r.Type))];
    const missing = types.flatMap((type) => {
      const service = SERVICE_OF[type.split('::')[1] ?? ''] ?? '?';
      const wholesale = grants.some(
        (g) => g.role === 'CloudFormationExecutionRole' && g.actions.includes(`${service}:*`),
      );
      const handlers = HANDLER_PERMISSIONS[type];
      if (!wholesale && !handlers) return [`${type}: neither ${service}:* nor its handler permissions`];
      return (handlers ?? [])
        .filter(([action, arn]) => !allowed('CloudFormationExecutionRole', action, arn))
        .map(([action, arn]) => `${type}: ${action} on ${arn}`);
    });
    expect(missing).toEqual([]);
  });

  it('names only real IAM actions in the handler table', () => {
    const unknown = Object.values(HANDLER_PERMISSIONS)
      .flat()
      .map(([action]) => action)
      .filter((action) => {
        const [service = '', name = ''] = action.split(':');
        return !reference?.[service]?.actions[name];
      });
    expect(unknown).toEqual([]);
  });

  it('lets the deploy role make every AWS call of the smoke check, as the reference requires', () => {
    const script = readFileSync(join(ROOT, 'scripts', 'smoke-check.sh'), 'utf8');
    const CLI_SERVICE: Record<string, string> = { stepfunctions: 'states', cloudformation: 'cloudformation' };
    const calls = [
      ...new Set(
        [...script.matchAll(/\baws (\w+) ([a-z-]+)/g)].map(
          (m) =>
            `${CLI_SERVICE[m[1] ?? ''] ?? m[1]}:${(m[2] ?? '').replace(/(^|-)(\w)/g, (_s, _d, c: string) => c.toUpperCase())}`,
        ),
      ),
    ];
    expect(calls.sort()).toEqual([
      'cloudformation:DescribeStacks',
      'states:DescribeExecution',
      'states:StartExecution',
    ]);
    const pipelineGrants = grantsOf(pipeline);
    const problems = calls.flatMap((action) =>
      checkCall(
        { role: 'DeployRole', action, on: [], why: 'smoke check' },
        pipelineGrants,
        reference ?? loadReference(),
      ).problems.map((p) => `${action}: ${p}`),
    );
    expect(problems).toEqual([]);
  });
});
