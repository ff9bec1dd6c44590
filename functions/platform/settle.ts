// Promise.all, except that it rejects only once every promise has settled. A handler that throws
// while its own requests still run (the SDK retrying a throttled read) would leave them running
// into the next invocation on a warm Lambda, or frozen mid-retry, and makes a simulated run depend
// on machine load. Five lines: no library needed.

export async function settleAll<T extends readonly unknown[] | []>(
  values: T,
): Promise<{ -readonly [P in keyof T]: Awaited<T[P]> }> {
  const results = (await Promise.allSettled(values)) as PromiseSettledResult<unknown>[];
  for (const result of results) if (result.status === 'rejected') throw result.reason;
  return results.map((result) => (result as PromiseFulfilledResult<unknown>).value) as {
    -readonly [P in keyof T]: Awaited<T[P]>;
  };
}
