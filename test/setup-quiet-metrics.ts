// Powertools Metrics prints one EMF line per flush to stdout; keep test output readable.
// Tests that assert on metrics capture them with test/helpers/emf.ts, which spies over this.
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = (chunk: string | Uint8Array, ...rest: never[]) =>
  chunk.toString().startsWith('{"_aws"') ? true : write(chunk, ...rest);
