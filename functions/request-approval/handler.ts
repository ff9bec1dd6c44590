import { PublishCommand } from '@aws-sdk/client-sns';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { callAws } from '../aws/aws-errors';
import { sns } from '../aws/clients/sns';
import { requiredEnv } from '../platform/env';
import { workflowTask } from '../platform/middleware';
import { logger, metrics } from '../platform/powertools';
import { type ApprovalRequest, ApprovalRequestSchema, approvalMessage } from '../domain/approval';

export { ApprovalRequestSchema, approvalMessage };

// Its own topic: the request carries the token that approves the change, so only approvers see it.
const approvalTopicArn = requiredEnv('APPROVAL_TOPIC_ARN');

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
