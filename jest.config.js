// Native ESM jest: middy 7 ships ESM only, and the Lambda bundles are ESM too, so
// the tests load the same module graph the functions run (see README "Module setup").
const swc = ['@swc/jest', { jsc: { target: 'es2023', parser: { syntax: 'typescript' }, experimental: { keepImportAttributes: true } }, module: { type: 'es6' } }];

const common = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  testEnvironment: 'node',
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  setupFilesAfterEnv: ['<rootDir>/test/setup-matchers.ts'],
};

export default {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...common, displayName: 'statemachine', testMatch: ['<rootDir>/test/statemachine/**/*.test.ts'] },
    { ...common, displayName: 'template', testMatch: ['<rootDir>/test/template/**/*.test.ts'] },
  ],
};
