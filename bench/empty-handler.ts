// The baseline for cold init: a handler that loads nothing, bundled like the functions.
export const handler = async (): Promise<Record<string, never>> => Promise.resolve({});
