import { z } from 'zod';
import { ManualRequestSchema } from '../functions/domain/manual';
import { PolicySchema } from '../functions/domain/policy/schema';

/** JSON Schemas generated from the zod schemas, with the path each is committed at. */
export function jsonSchemas(): Record<string, object> {
  const generate = (schema: z.ZodType, id: string, title: string) => ({
    ...z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' }),
    $id: id,
    title,
  });
  return {
    'policies/policy.schema.json': generate(PolicySchema, 'policy.schema.json', 'Self-healing remediation policy'),
    'statemachines/manual-execution.schema.json': generate(
      ManualRequestSchema,
      'manual-execution.schema.json',
      'Manual execution input of the remediation state machine',
    ),
  };
}

export function serialise(schema: object): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}
