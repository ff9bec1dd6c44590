import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ExecutionStateSchema } from '../../functions/domain/execution-state';
import { ROOT } from '../helpers/template';

// One schema describes the whole state the workflow carries (functions/domain/execution-state.ts).
// Every key the ASL writes must be one of its keys, so no task writes a field nobody has typed.
interface AslState {
  ResultPath?: string | null;
  Catch?: { ResultPath?: string }[];
}
const asl = JSON.parse(readFileSync(join(ROOT, 'statemachines', 'remediation.asl.json'), 'utf8')) as {
  States: Record<string, AslState>;
};
const written = Object.entries(asl.States).flatMap(([name, state]) =>
  [state.ResultPath, ...(state.Catch ?? []).map((c) => c.ResultPath)]
    .filter((p): p is string => typeof p === 'string')
    .map((path) => ({ name, path })),
);

describe('ExecutionState', () => {
  const keys = Object.keys(ExecutionStateSchema.shape);

  it.each(written)('$name writes $path, a key of ExecutionState', ({ path }) => {
    expect(path).toMatch(/^\$\.[A-Za-z]+(\.[A-Za-z]+)?$/);
    const [key = '', field] = path.slice(2).split('.');
    expect(keys).toContain(key);
    // A field of a key's object (the workflow's marks on the guard result: round, approved) is typed there too.
    if (field) {
      const optional = ExecutionStateSchema.shape[key as keyof typeof ExecutionStateSchema.shape] as {
        unwrap: () => { shape: object };
      };
      expect(Object.keys(optional.unwrap().shape)).toContain(field);
    }
  });

  it('has no key that the ASL and Plan Remediation never write', () => {
    const fromAsl = new Set(written.map((w) => w.path.slice(2).split('.')[0]));
    // Plan Remediation returns { incident, plan } as the whole state; Escalate To Next Step, the
    // whole state with its `escalation` history.
    expect(keys.filter((k) => !fromAsl.has(k)).sort()).toEqual(['escalation', 'incident']);
  });

  it('names the field that is wrong in a hand-edited state', () => {
    const parsed = ExecutionStateSchema.safeParse({ incident: {}, plan: {}, guard: { decision: 'maybe' } });

    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join('.'))).toEqual(
      expect.arrayContaining(['guard.decision', 'plan.decision']),
    );
  });
});
