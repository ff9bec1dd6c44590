// Apart from schema.ts so that reading a default does not bundle the policy's RE2 validation.

/** After a change to a target, new incidents on it are skipped this long (a rule may say otherwise). */
export const DEFAULT_COOLDOWN_SECONDS = 300;
