import * as z from 'zod';
import { ApprovalBasisSchema } from './approval-basis';
import { NoRollbackTargetError } from './errors';

// Which rollback to make, decided from what CodeDeploy reports: pure, so tests call it directly.

/** CodeDeploy statuses of a deployment that has not finished. */
export const DEPLOYMENT_RUNNING = new Set(['Created', 'Queued', 'InProgress', 'Baking', 'Ready']);

/** Rollbacks this platform makes are described so; change correlation never takes them for a user's change. */
export const OWN_ROLLBACK = /^SelfHealing rollback/;

export const MANAGED_TAG = 'selfhealing:managed';

/** The rollback chosen from CodeDeploy's history (what the kernel then holds the call to: domain/safety-kernel.ts). */
export const RollbackChoiceSchema = z.discriminatedUnion('mode', [
  z.object({
    mode: z.literal('stop'),
    application: z.string(),
    deploymentGroup: z.string(),
    deploymentId: z.string(),
    description: z.string(),
  }),
  z.object({
    mode: z.literal('redeploy'),
    application: z.string(),
    deploymentGroup: z.string(),
    badDeploymentId: z.string(),
    goodDeploymentId: z.string(),
    revision: z.record(z.string(), z.unknown()),
    description: z.string(),
  }),
]);
export type RollbackChoice = z.infer<typeof RollbackChoiceSchema>;

/** The rollback as prepared: the choice, and the kernel's say on it (approval, key). */
export const PreparedRollbackSchema = z.intersection(
  RollbackChoiceSchema,
  z.object({
    approvalRequired: z.boolean().default(false),
    approvalReason: z.string().optional(),
    key: z.string().default(''),
    basis: ApprovalBasisSchema.default({ inFlight: {}, unseen: [] }),
  }),
);
export type PreparedRollback = z.infer<typeof PreparedRollbackSchema>;
export type PreparedRedeploy = Extract<RollbackChoice, { mode: 'redeploy' }>;

/** The parts of a CodeDeploy DeploymentInfo the choice reads. */
export interface DeploymentFacts {
  deploymentId?: string;
  status?: string;
  revision?: unknown;
  createTime?: Date;
  description?: string;
}

export function sameRevision(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** The deployment a platform rollback replaced, from its description (see rollbackDescription). */
export function replacedBy(rollback: DeploymentFacts): string | undefined {
  if (!OWN_ROLLBACK.test(rollback.description ?? '')) return undefined;
  return /replaces (\S+)$/.exec(rollback.description ?? '')?.[1];
}

/**
 * Newest successful deployment created before `live` whose revision differs from it, and is not a
 * revision this platform already rolled back from (a bad revision that succeeded is still bad).
 */
export function lastGood<T extends DeploymentFacts>(live: DeploymentFacts, succeeded: T[]): T | undefined {
  const liveCreated = live.createTime?.getTime() ?? Number.POSITIVE_INFINITY;
  const rolledBackFrom = new Set(succeeded.map(replacedBy).filter((id) => id !== undefined));
  const badRevisions = succeeded.filter((d) => rolledBackFrom.has(d.deploymentId ?? '')).map((d) => d.revision);
  return succeeded
    .filter(
      (d) =>
        d.deploymentId !== live.deploymentId &&
        (d.createTime?.getTime() ?? 0) < liveCreated &&
        !sameRevision(d.revision, live.revision) &&
        !badRevisions.some((revision) => sameRevision(d.revision, revision)),
    )
    .sort((a, b) => (b.createTime?.getTime() ?? 0) - (a.createTime?.getTime() ?? 0))[0];
}

export function stopRollback(
  target: { application: string; deploymentGroup: string },
  latest: DeploymentFacts & { deploymentId: string },
): RollbackChoice {
  return {
    mode: 'stop',
    ...target,
    deploymentId: latest.deploymentId,
    description: `stop deployment ${latest.deploymentId} (${latest.status ?? '?'}) and let CodeDeploy roll back`,
  };
}

export function redeployRollback(
  target: { application: string; deploymentGroup: string },
  latest: DeploymentFacts & { deploymentId: string },
  good: DeploymentFacts & { deploymentId: string; revision: Record<string, unknown> },
): RollbackChoice {
  return {
    mode: 'redeploy',
    ...target,
    badDeploymentId: latest.deploymentId,
    goodDeploymentId: good.deploymentId,
    revision: good.revision,
    description: `redeploy the revision of ${good.deploymentId} over ${latest.deploymentId} (${latest.status ?? '?'})`,
  };
}

/** Never chain rollbacks: when what runs is this platform's own rollback, a human decides what next. */
export function assertNotOwnRollback(
  target: { application: string; deploymentGroup: string },
  latest: DeploymentFacts,
): void {
  if (OWN_ROLLBACK.test(latest.description ?? ''))
    throw new NoRollbackTargetError(
      `${target.application}/${target.deploymentGroup} already runs this platform's rollback ${latest.deploymentId ?? '?'} (${latest.description ?? ''}): not rolling back further`,
    );
}

/**
 * A deployment still running → stop it with CodeDeploy's auto-rollback. Otherwise the group runs a
 * bad revision → redeploy the newest earlier successful revision (among the candidates: the
 * group's successful deployments when the latest succeeded, else its last successful one).
 */
export function chooseRollback(
  target: { application: string; deploymentGroup: string },
  latest: DeploymentFacts & { deploymentId: string },
  goodCandidates: DeploymentFacts[] | undefined,
): RollbackChoice | undefined {
  assertNotOwnRollback(target, latest);
  if (latest.status && DEPLOYMENT_RUNNING.has(latest.status)) return stopRollback(target, latest);
  const good = latest.status === 'Succeeded' ? lastGood(latest, goodCandidates ?? []) : goodCandidates?.[0];
  if (!good?.deploymentId || !good.revision) return undefined;
  const revision = good.revision as Record<string, unknown>;
  return redeployRollback(target, latest, { ...good, deploymentId: good.deploymentId, revision });
}

/** The description the rollback deployment carries: how a retry finds the one it already created. */
export function rollbackDescription(incidentId: string, prepared: PreparedRedeploy): string {
  return `SelfHealing rollback for incident ${incidentId}: revision of ${prepared.goodDeploymentId} replaces ${prepared.badDeploymentId}`;
}

/** The ARN of a deployment group in this function's own account and Region. */
export function deploymentGroupArn(functionArn: string, application: string, deploymentGroup: string): string {
  const [, partition = 'aws', , region = '', account = ''] = functionArn.split(':');
  return `arn:${partition}:codedeploy:${region}:${account}:deploymentgroup:${application}/${deploymentGroup}`;
}
