import { readFileSync } from 'node:fs';
import { ASL_PATH } from '../local/workflow';

// A mermaid state diagram generated from remediation.asl.json, so docs/architecture.md's picture of the
// workflow cannot drift from the workflow itself (a test compares them).

interface Condition {
  Variable?: string;
  StringEquals?: string;
  BooleanEquals?: boolean;
  NumericGreaterThanEqualsPath?: string;
  And?: Condition[];
  Or?: Condition[];
}

interface State {
  Type: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Choices?: (Condition & { Next: string })[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
}

export const DIAGRAM_START = '<!-- workflow-diagram:start (npm run generate) -->';
export const DIAGRAM_END = '<!-- workflow-diagram:end -->';

const id = (name: string) => name.replace(/[^A-Za-z0-9]/g, '');

function choiceLabel(c: Condition): string {
  const field = (path?: string) => path?.split('.').pop() ?? '';
  if (c.Or) return c.Or.map(choiceLabel).join(' or ');
  if (c.And) return c.And.map(choiceLabel).join(' and ');
  if (c.StringEquals !== undefined) return `${field(c.Variable)} = ${c.StringEquals}`;
  if (c.BooleanEquals !== undefined) return `${c.Variable?.split('.').slice(-2).join('.') ?? ''}`;
  if (c.NumericGreaterThanEqualsPath) return `${field(c.Variable)} ≥ ${field(c.NumericGreaterThanEqualsPath)}`;
  return 'condition';
}

export function workflowDiagram(
  asl = JSON.parse(readFileSync(ASL_PATH, 'utf8')) as { StartAt: string; States: Record<string, State> },
): string {
  const lines = ['```mermaid', 'stateDiagram-v2'];
  for (const name of Object.keys(asl.States)) lines.push(`  state "${name}" as ${id(name)}`);
  lines.push(`  [*] --> ${id(asl.StartAt)}`);
  for (const [name, state] of Object.entries(asl.States)) {
    const from = id(name);
    if (state.Next) lines.push(`  ${from} --> ${id(state.Next)}`);
    for (const choice of state.Choices ?? []) lines.push(`  ${from} --> ${id(choice.Next)}: ${choiceLabel(choice)}`);
    if (state.Default) lines.push(`  ${from} --> ${id(state.Default)}: otherwise`);
    for (const c of state.Catch ?? []) {
      // Every Task catches States.ALL into Record Failure; draw the specific catches only.
      if (!c.ErrorEquals.includes('States.ALL')) lines.push(`  ${from} --> ${id(c.Next)}: ${c.ErrorEquals.join(', ')}`);
    }
    if (state.End || state.Type === 'Succeed' || state.Type === 'Fail') lines.push(`  ${from} --> [*]`);
  }
  lines.push('```');
  return lines.join('\n');
}

/** docs/architecture.md with its generated diagram block replaced. */
export function withDiagram(readme: string): string {
  const start = readme.indexOf(DIAGRAM_START);
  const end = readme.indexOf(DIAGRAM_END);
  if (start < 0 || end < start) throw new Error('docs/architecture.md has no workflow-diagram markers');
  return `${readme.slice(0, start + DIAGRAM_START.length)}\n${workflowDiagram()}\n${readme.slice(end)}`;
}
