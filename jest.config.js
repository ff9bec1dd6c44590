// Native ESM jest: middy 7 ships ESM only, and the Lambda bundles are ESM too, so
// the tests load the same module graph the functions run (see README "Module setup").

const common = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': '<rootDir>/test/esbuild-transform.js' },
  // Its "import" build is ESM in .js files without "type": "module", which jest 29 loads as CommonJS.
  moduleNameMapper: {
    '^aws-sdk-client-mock-jest$': '<rootDir>/node_modules/aws-sdk-client-mock-jest/dist/cjs/jest.js',
  },
  testEnvironment: 'node',
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  setupFilesAfterEnv: ['<rootDir>/test/setup-matchers.ts'],
};

export default {
  projects: [
    // Handlers judge an incident's age: the fixtures' incidents are seconds old on this clock.
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
      setupFilesAfterEnv: [...common.setupFilesAfterEnv, '<rootDir>/test/setup-fixture-clock.ts'],
    },
    {
      ...common,
      displayName: 'statemachine',
      testMatch: ['<rootDir>/test/statemachine/**/*.test.ts'],
      setupFilesAfterEnv: [...common.setupFilesAfterEnv, '<rootDir>/test/setup-fixture-clock.ts'],
    },
    { ...common, displayName: 'template', testMatch: ['<rootDir>/test/template/**/*.test.ts'] },
    // The bundles npm run build made with the real builder (what sam build ships), not the source.
    {
      ...common,
      displayName: 'artifact',
      testMatch: ['<rootDir>/test/artifact/**/*.test.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/setup-quiet-metrics.ts'],
    },
    // Real SDK clients over HTTP to the local sandbox: no aws-sdk-client-mock here.
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/setup-quiet-metrics.ts'],
    },
    // botocore and moto (Python, from the machine image) against the sandbox; skipped where absent.
    {
      ...common,
      displayName: 'conformance',
      testMatch: ['<rootDir>/test/conformance/**/*.test.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/setup-quiet-metrics.ts'],
    },
  ],
};
