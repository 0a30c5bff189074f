// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    // Only src/config.ts reads the environment; everything else receives typed options.
    files: ['src/**/*.ts', 'workers/**/*.ts', 'producers/**/*.ts', 'cli/**/*.ts', 'server/**/*.ts', 'exports/**/*.ts'],
    ignores: ['src/config.ts'],
    rules: {
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read configuration in src/config.ts and pass it in.' }],
    },
  },
  {
    // Tracing is off by default and then loads no OpenTelemetry package: they are only ever
    // loaded by `import()` in src/telemetry/tracing.ts (types may be imported anywhere).
    files: ['src/**/*.ts', 'workers/**/*.ts', 'producers/**/*.ts', 'cli/**/*.ts', 'server/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@opentelemetry/*', 'bullmq-otel'], allowTypeImports: true, message: 'Load OpenTelemetry with import() in src/telemetry/tracing.ts only (tracing is optional).' }] },
      ],
    },
  },
);
