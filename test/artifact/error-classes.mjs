// Prints, as JSON, every Error subclass a bundle defines and the name its instances carry at run
// time. Run in a fresh Node process: node error-classes.mjs <bundle.mjs>. The classes are found in
// the heap through the V8 inspector (Runtime.queryObjects), so nothing in the bundle has to export them.
import { Session } from 'node:inspector/promises';
import { pathToFileURL } from 'node:url';

const session = new Session();
session.connect();

async function errorClasses() {
  const { result } = await session.post('Runtime.evaluate', { expression: 'Error.prototype' });
  const { objects } = await session.post('Runtime.queryObjects', { prototypeObjectId: result.objectId });
  await session.post('Runtime.callFunctionOn', {
    objectId: objects.objectId,
    functionDeclaration: 'function () { globalThis.__errorObjects = this; }',
  });
  const found = globalThis.__errorObjects;
  delete globalThis.__errorObjects;
  return new Set(
    found
      .filter(
        (o) => Object.hasOwn(o, 'constructor') && typeof o.constructor === 'function' && o.constructor.prototype === o,
      )
      .map((o) => o.constructor),
  );
}

const before = await errorClasses();
await import(pathToFileURL(process.argv[2]).href);
const added = [...(await errorClasses())].filter((c) => !before.has(c));
const ids = new Map(added.map((c, i) => [c, i]));
const classes = added.map((C) => {
  let instanceName = null;
  try {
    instanceName = new C('probe').name;
  } catch {
    // Some library errors need constructor arguments; their names are not ours to check.
  }
  return {
    id: ids.get(C),
    parent: ids.get(Object.getPrototypeOf(C)) ?? null,
    instanceName,
    prototypeName: C.prototype.name,
  };
});
process.stdout.write(JSON.stringify(classes));
session.disconnect();
