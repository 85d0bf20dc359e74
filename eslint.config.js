// floe's linter (run by `npm test` through scripts/test.sh, and by `npm run lint`): ESLint's and
// typescript-eslint's recommended rules without type information (fast: the whole tree in
// seconds), plus the few rules the house relies on.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config({ ignores: ['node_modules/**', '.stack/**', 'warehouse/**', '**/*.py'] }, js.configs.recommended, ...tseslint.configs.recommended, {
  languageOptions: {
    ecmaVersion: 2024,
    sourceType: 'module',
    globals: {
      process: 'readonly',
      console: 'readonly',
      Buffer: 'readonly',
      setTimeout: 'readonly',
      clearTimeout: 'readonly',
      setInterval: 'readonly',
      clearInterval: 'readonly',
      setImmediate: 'readonly',
      URL: 'readonly',
      TextEncoder: 'readonly',
      TextDecoder: 'readonly',
      crypto: 'readonly',
      performance: 'readonly',
      AbortController: 'readonly',
      AbortSignal: 'readonly',
      fetch: 'readonly',
      queueMicrotask: 'readonly',
      structuredClone: 'readonly',
      NodeJS: 'readonly',
    },
  },
  rules: {
    // tests and a few decoders use `any` for JSON from the Python judges
    '@typescript-eslint/no-explicit-any': 'off',
    '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    'no-constant-condition': ['error', { checkLoops: false }],
    'no-empty': ['error', { allowEmptyCatch: true }],
    eqeqeq: ['error', 'always', { null: 'ignore' }],
    'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    'no-var': 'error',
  },
});
