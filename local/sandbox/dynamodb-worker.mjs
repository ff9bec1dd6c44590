// DynamoDB for the sandbox (dynalite, in memory) on a thread of its own, as the real service runs
// apart from the functions: its work no longer queues behind the engine and the handlers, which
// share the main thread. Plain JavaScript so it loads the same under tsx, jest and node.
import { parentPort } from 'node:worker_threads';
import dynalite from 'dynalite';

const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.listen(0, '127.0.0.1', () =>
  parentPort?.postMessage({ port: /** @type {import('node:net').AddressInfo} */ (server.address()).port }),
);
