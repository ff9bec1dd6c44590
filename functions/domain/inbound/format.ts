import type { z } from 'zod';

/** "Sns.Message.AlarmName: expected string, received undefined" — names the field and the problem. */
export function describeIssues(error: z.ZodError, prefix: string[] = [], limit = 5): string {
  const parts = error.issues.slice(0, limit).map((issue) => {
    const path = [...prefix, ...issue.path.map(String)].join('.') || '(root)';
    return `${path}: ${issue.message.replace(/^Invalid input: /, '')}`;
  });
  const more = error.issues.length > limit ? `; and ${error.issues.length - limit} more` : '';
  return parts.join('; ') + more;
}
