// Jest transformer: TypeScript → ESM with esbuild (already the bundler SAM uses).
// Hand-written because the native-binary transformers (@swc/jest) and jest 30's resolver
// ship platform packages this project's registry does not serve, which breaks `npm ci`.
import { transformSync } from 'esbuild';

export default {
  process(source, filename) {
    const { code, map } = transformSync(source, {
      loader: 'ts',
      format: 'esm',
      target: 'es2023',
      sourcemap: 'external',
      sourcefile: filename,
    });
    return { code, map };
  },
};
