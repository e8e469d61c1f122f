// House rules a tool keeps: typescript-eslint's recommended set with type information, promises
// always handled, and workflow code kept deterministic (no Node built-ins, I/O or real timers).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

const NODE_BUILTINS = [
  'node:*',
  'fs',
  'path',
  'os',
  'crypto',
  'http',
  'https',
  'net',
  'child_process',
  'worker_threads',
  'timers',
];
const NOT_IN_WORKFLOWS = [
  '@temporalio/activity',
  '@temporalio/client',
  '@temporalio/worker',
  'mongodb',
  'oauth4webapi',
  'fastify',
  'pino',
];
// What ships runs on production dependencies only (the image installs with --omit=dev).
const DEVELOPMENT_ONLY = {
  group: [
    '**/scripts/dev/**',
    '**/scripts/build*',
    '**/bench/**',
    '**/test/**',
    'tsx',
    'tsx/*',
    'esbuild',
    'oidc-provider',
    'oidc-provider/*',
    'vitest',
    'vitest/*',
    '@temporalio/testing',
    'playwright-core',
  ],
  message: 'Shipped code runs with production dependencies only: no dev scripts, bench, tests or dev packages.',
};
const SHIPPED = ['api/**/*.ts', 'worker/**/*.ts', 'activities/**/*.ts', 'lib/**/*.ts', 'scripts/cli/**/*.ts'];

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      '.build/',
      '.data/',
      'bench/results/',
      'test/fixtures/',
      'catalog/',
      '**/*.mjs',
      '**/*.cjs',
      'eslint.config.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    // Tests and the bench read the JSON bodies of the system under test as they come.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: SHIPPED,
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [DEVELOPMENT_ONLY] }] },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            DEVELOPMENT_ONLY,
            { group: NODE_BUILTINS, message: 'Workflow code is deterministic: no Node built-ins (use an activity).' },
            {
              group: NOT_IN_WORKFLOWS,
              allowTypeImports: true,
              message: 'Workflow code does no I/O: call an activity.',
            },
            {
              group: ['../activities/*', '../api/*', '../lib/store/*'],
              allowTypeImports: true,
              message: 'Workflows import only types from activities, api and the store.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        ...['setTimeout', 'setInterval', 'fetch', 'process', 'Buffer', 'crypto'].map((name) => ({
          name,
          message: 'Not deterministic in a workflow: use sleep/condition or an activity.',
        })),
      ],
      'no-restricted-properties': [
        'error',
        { object: 'performance', property: 'now', message: 'Use Date.now(): the workflow clock.' },
      ],
    },
  },
  prettier,
);
