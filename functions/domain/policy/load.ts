import { InvalidPolicyError } from '../errors';
import { describeIssues } from '../inbound/format';
import { type Policy, PolicySchema } from './schema';
import defaultPolicyDocument from '../../../policies/default.json' with { type: 'json' };

/** Validates a policy document; a bad one fails with every offending field named. */
export function loadPolicy(document: unknown): Policy {
  const parsed = PolicySchema.safeParse(document);
  if (!parsed.success) {
    throw new InvalidPolicyError(`Invalid remediation policy: ${describeIssues(parsed.error, [], 20)}`);
  }
  return parsed.data;
}

/** The policy bundled into the plan function at build time (policies/default.json). */
export function loadDefaultPolicy(): Policy {
  return loadPolicy(defaultPolicyDocument);
}
