// One Lambda-like cold init: a fresh Node process imports the bundle and checks it exports a handler.
// Prints the import time in ms; bench/run.ts also times the whole process from spawn to exit.
const started = performance.now();
// Plain JavaScript on purpose (no loader in the measured process): the import is untyped.
// eslint-disable-next-line @typescript-eslint/no-unsafe-assignment
const loaded = /** @type {{ handler?: unknown }} */ (await import(process.argv[2] ?? ''));
if (typeof loaded.handler !== 'function') process.exit(2);
process.stdout.write(String(performance.now() - started));
