import { describe } from '@jest/globals';
import { type BuiltFunction, builderMissing, builtFunctions } from '../../scripts/build';

// The tests of the built bundles are skipped, with the reason, on a machine that cannot build like
// sam build (no SAM CLI, no Python tools); never in CI, where a missing builder fails.
const missing = process.env.CI === 'true' ? undefined : builderMissing();
if (missing) process.stderr.write(`Skipping the built-bundle tests: ${missing}\n`);

export const describeBuilt = missing ? describe.skip : describe;

/** The bundles npm run build made (refused when stale), or none where the tier is skipped. */
export function bundlesUnderTest(): BuiltFunction[] {
  return missing ? [] : builtFunctions();
}
