import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.aws-sam/', 'coverage/'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: ['*.js', 'test/*.js', 'bench/*.mjs', 'local/sandbox/*.mjs', 'test/artifact/*.mjs'],
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // Tests build partial AWS responses and loose fixtures on purpose.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // The domain is pure: it decides, and the handlers do the I/O (no AWS SDK, no Powertools, no tables).
    files: ['functions/domain/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@aws-sdk/*', '@smithy/*', 'aws-xray-sdk*'],
              message: 'The domain does not call AWS: put I/O in functions/aws/.',
            },
            {
              group: ['@aws-lambda-powertools/*', '@middy/*'],
              message: 'The domain does not log or emit: return what happened, the handler reports it.',
            },
            {
              group: ['**/aws/*', '**/platform/*', '**/aws', '**/platform'],
              message: 'The domain imports only the domain.',
            },
          ],
        },
      ],
    },
  },
  { files: ['*.js', 'test/*.js'], ...tseslint.configs.disableTypeChecked },
  // Plain JavaScript run in a child process, walking untyped heap objects through the inspector.
  { files: ['test/**/*.mjs'], ...tseslint.configs.disableTypeChecked },
);
