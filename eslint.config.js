import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['out/', 'dist/', 'node_modules/', 'test-results/', 'playwright-report/', '.uis-test/', 'scratch/'] /* scratch/: local, gitignored experiments */ },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The report page's chart script (inlined by src/main/reports/html.ts): a classic browser script after Chart.js.
    files: ['src/main/reports/assets/*.js'],
    languageOptions: { sourceType: 'script', globals: { ...globals.browser, Chart: 'readonly' } },
  },
  {
    // src/shared is pure: the renderer, the core and the tests all import it.
    files: ['src/shared/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'electron', message: 'src/shared must stay free of electron.' }], patterns: [{ group: ['node:*'], message: 'src/shared must stay free of node:* modules.' }, { group: ['electron', 'electron/*'], message: 'src/shared must stay free of electron.' }] },
      ],
    },
  },
  {
    // The core never imports electron; only the shell (src/main/electron) does.
    files: ['src/main/**/*.ts', 'src/renderer/**/*.{ts,tsx}'],
    ignores: ['src/main/electron/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'Only src/main/electron may import electron.' }] }],
    },
  },
);
