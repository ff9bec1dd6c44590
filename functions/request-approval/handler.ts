import { PublishCommand } from '@aws-sdk/client-sns';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod';
import { callAws } from '../aws/aws-errors';
import { sns } from '../aws/clients/sns';
import { requiredEnv } from '../platform/env';
import { workflowTask } from '../platform/middleware';
import { describeAction } from '../domain/policy/describe';
import { logger, metrics } from '../platform/powertools';
import { ExecutionStateSchema, PlannedStateSchema, type Prepared } from '../domain/execution-state';
import { PreparedRollbackSchema } from '../domain/rollback';

// Its own topic: the request carries the token that approves the change, so only approvers see it.
const approvalTopicArn = requiredEnv('APPROVAL_TOPIC_ARN');

export const ApprovalRequestSchema = z.object({
  taskToken: z.string().min(1),
  /** The execution state: for Auto Scaling actions it holds the computed change (`prepared`). */
  state: PlannedStateSchema.extend(ExecutionStateSchema.pick({ guard: true, prepared: true }).partial().shape),
});
export type ApprovalRequest = z.infer<typeof ApprovalRequestSchema>;

/**
 * Text an alarm brought (its name, reason, tags: anyone who can tag or name an alarm wrote it) on
 * one line and in quotes, so it cannot pose as a line of this message ("Exactly: …", a link).
 */
export function quoted(untrusted: string): string {
  return JSON.stringify(untrusted.replace(/[\p{Cc}\u2028\u2029]/gu, ' ').slice(0, 300));
}

/** The exact change, as the prepare step computed it, for every action type. */
function exactChange(prepared: Prepared | undefined): string[] {
  if (!prepared?.description) return [];
  const lines = [`Exactly: ${quoted(prepared.description)}`];
  const rollback = PreparedRollbackSchema.safeParse(prepared);
  if (rollback.success && rollback.data.mode === 'redeploy')
    lines.push(
      `Revision to deploy (from ${rollback.data.goodDeploymentId}, replacing ${rollback.data.badDeploymentId}): ${JSON.stringify(rollback.data.revision)}`,
    );
  if (rollback.success && rollback.data.mode === 'stop')
    lines.push(
      `Deployment to stop: ${rollback.data.deploymentId} (CodeDeploy then rolls back to the revision before it)`,
    );
  return lines;
}

/** The message an approver reads: what will happen, why, and the two commands that answer it. */
export function approvalMessage(request: ApprovalRequest): { subject: string; message: string } {
  const { taskToken } = request;
  const { incident, plan, guard, prepared } = request.state;
  const action = plan.action ? describeAction(plan.action) : 'no action';
  const token = JSON.stringify(taskToken);
  const message = [
    `Approval needed before the platform acts on incident ${incident.id}.`,
    'Quoted text ("…") comes from the alarm: whoever can name or tag an alarm wrote it.',
    '',
    `What happened: ${quoted(incident.summary)}`,
    `Rule: ${plan.rule ?? 'manual'}`,
    `Will do: ${quoted(action)}`,
    ...exactChange(prepared),
    ...(prepared?.approvalReason ? [`Approval needed because ${quoted(prepared.approvalReason)}`] : []),
    ...(plan.correlatedChange ? [`Correlated change: ${quoted(plan.correlatedChange.description)}`] : []),
    ...(guard?.targetKey ? [`Target (locked meanwhile): ${quoted(guard.targetKey)}`] : []),
    `Answer within ${plan.approval.timeoutSeconds} s; no answer counts as rejected (NotApproved).`,
    '',
    'Why:',
    ...plan.explanation.map((line) => `- ${quoted(line)}`),
    '',
    'Approve (say who you are: it is recorded with the outcome):',
    `  aws stepfunctions send-task-success --task-token ${token} --task-output '{"approved":true,"by":"<you>"}'`,
    'Reject:',
    `  aws stepfunctions send-task-failure --task-token ${token} --error NotApproved --cause "<why>"`,
  ].join('\n');
  const subject = `[SelfHealing] APPROVAL NEEDED: ${action}: ${incident.alarm?.name ?? incident.summary}`
    .replace(/[^\x20-\x7E]/g, '?')
    .slice(0, 100);
  return { subject, message };
}

/** Publishes the approval request; the state machine then waits for the task token's answer. */
export async function requestApproval(request: ApprovalRequest): Promise<{ requested: true; messageId?: string }> {
  logger.appendKeys({ incidentId: request.state.incident.id });
  const { subject, message } = approvalMessage(request);
  const out = await callAws('SNS.Publish', () =>
    sns.send(
      new PublishCommand({
        TopicArn: approvalTopicArn,
        Subject: subject,
        Message: message,
        MessageAttributes: {
          severity: { DataType: 'String', StringValue: 'warning' },
          outcome: { DataType: 'String', StringValue: 'approval-requested' },
        },
      }),
    ),
  );
  metrics.addMetric('ApprovalsRequested', MetricUnit.Count, 1);
  return { requested: true, ...(out.MessageId ? { messageId: out.MessageId } : {}) };
}

export const handler = workflowTask(ApprovalRequestSchema, requestApproval);
