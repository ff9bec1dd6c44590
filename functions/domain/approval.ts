import * as z from 'zod';
import { ExecutionStateSchema, PlannedStateSchema, type Prepared } from './execution-state';
import { describeAction } from './policy/describe';
import { PreparedRollbackSchema } from './rollback';

// What an approver reads before a risky change: pure, so the tests read exactly what is sent.

export const ApprovalRequestSchema = z.object({
  taskToken: z.string().min(1),
  /** The execution state: for Auto Scaling actions it holds the computed change (`prepared`). */
  state: PlannedStateSchema.extend(
    ExecutionStateSchema.pick({ guard: true, prepared: true, reapproval: true }).partial().shape,
  ),
});
export type ApprovalRequest = z.infer<typeof ApprovalRequestSchema>;

// What may start a line, reorder or hide text on a reader's screen: every control character (NEL
// U+0085 too), the line and paragraph separators U+2028/U+2029, and every format character
// (\p{Cf}: bidi controls U+202A–U+202E, U+2066–U+2069, U+200E/F, U+061C; U+200B, U+FEFF…).
// JSON.stringify escapes only U+0000–U+001F, quotes and backslashes.
const UNSEEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;
const MAX_QUOTED_CHARACTERS = 1000;

/** `text` with every unseen character written as its escape (\u202E), so a reader sees it was there. */
export function escapeUnseen(text: string): string {
  return text.replace(UNSEEN, (char) => {
    const code = (char.codePointAt(0) ?? 0).toString(16).toUpperCase();
    return code.length > 4 ? `\\u{${code}}` : `\\u${code.padStart(4, '0')}`;
  });
}

/**
 * Text an alarm brought (its name, reason, tags: anyone who can tag or name an alarm wrote it), or a
 * person typed, on one line and in quotes, so it cannot pose as a line of this message ("Exactly: …",
 * a link). Odd characters are escaped, not removed, so the reader sees that something was there.
 * The one quoting of approval requests and notifications (domain/outcome.ts).
 */
export function quoted(untrusted: string, max = MAX_QUOTED_CHARACTERS): string {
  let end = 0;
  let count = 0;
  // By code point, so an emoji is never cut into a lone half.
  for (const char of untrusted) {
    if (count === max) break;
    end += char.length;
    count += 1;
  }
  const text = escapeUnseen(JSON.stringify(untrusted.slice(0, end)));
  return end < untrusted.length ? `${text} [cut to ${max} characters]` : text;
}

/** The exact change, as the prepare step computed it, for every action type. */
function exactChange(prepared: Prepared | undefined): string[] {
  if (!prepared?.description) return [];
  const lines = [`Exactly: ${quoted(prepared.description)}`];
  const rollback = PreparedRollbackSchema.safeParse(prepared);
  if (rollback.success && rollback.data.mode === 'redeploy')
    lines.push(
      `Revision to deploy (from ${rollback.data.goodDeploymentId}, replacing ${rollback.data.badDeploymentId}): ${escapeUnseen(JSON.stringify(rollback.data.revision))}`,
    );
  if (rollback.success && rollback.data.mode === 'stop')
    lines.push(
      `Deployment to stop: ${rollback.data.deploymentId} (CodeDeploy then rolls back to the revision before it)`,
    );
  return lines;
}

/**
 * What the change is held to once approved (domain/safety-kernel.ts): right before the call the
 * kernel decides again on the state then, and the approval covers only what is shown here.
 */
function heldTo(prepared: Prepared | undefined): string[] {
  const basis = prepared?.basis;
  if (!basis) return [];
  const inFlight = Object.entries(basis.inFlight);
  return [
    ...(basis.capacity
      ? [
          `Held to: a change of at most ${Math.abs(basis.capacity.to - basis.capacity.from)} instance(s) in the same direction, from the group's capacity at the time of the call`,
        ]
      : []),
    ...inFlight.map(
      ([group, others]) =>
        `Held to: at most ${others} other remediation(s) disrupting ${quoted(group)} at the time of the call (as now)`,
    ),
    ...(basis.unseen.length > 0
      ? [
          `Not visible to the platform (not in an Auto Scaling group, not SSM-managed): ${quoted(basis.unseen.join(', '))}`,
        ]
      : []),
    'Anything else at the time of the call comes back to a human, or is skipped (NoLongerNeeded, Superseded).',
  ];
}

/** The message an approver reads: what will happen, why, and the two commands that answer it. */
export function approvalMessage(request: ApprovalRequest): { subject: string; message: string } {
  const { taskToken } = request;
  const { incident, plan, guard, prepared, reapproval } = request.state;
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
    ...(reapproval
      ? [
          `Asked again: the change approved earlier no longer held right before the call: ${quoted(reapproval.Cause ?? reapproval.Error)}`,
        ]
      : []),
    ...(prepared?.approvalReason ? [`Approval needed because ${quoted(prepared.approvalReason)}`] : []),
    ...heldTo(prepared),
    ...(plan.correlatedChange ? [`Correlated change: ${quoted(plan.correlatedChange.description)}`] : []),
    ...(guard?.targetKey
      ? [`Target (locked meanwhile): ${quoted((guard.targetKeys ?? [guard.targetKey]).join(', '))}`]
      : []),
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
