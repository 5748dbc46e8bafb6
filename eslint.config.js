// ESLint flat config: typescript-eslint's type-aware recommended rules over the library, CLI,
// tests, benchmarks, examples and experiments. Formatting is Prettier's job, not ESLint's.
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'dist-test/', 'docs/', 'node_modules/', 'data/', 'runs/'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // node:test's test()/describe() return promises the runner itself awaits.
      // A leading underscore marks a parameter or binding that is there for its position (a callback's
      // unused first argument, the rest of a destructuring that drops a field): the usual convention.
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
        },
      ],
      // Off: an `async` function or generator without `await` is how this code writes what must be
      // async by contract (AsyncIterator methods such as `return()`, async-iterable test streams
      // consumed with `for await`); making them sync would change what they return.
      '@typescript-eslint/require-await': 'off',
      // One import statement per module (a type-only import beside a value import is fine).
      'no-duplicate-imports': ['error', { allowSeparateTypeImports: true }],
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] },
          ],
        },
      ],
    },
  },
  {
    // Tests read the JSON reports, configs and metrics the code under test writes (JSON.parse gives
    // `any`) and assert their fields one by one. Declaring an interface for each would be an unchecked
    // cast of the same JSON: the assertions are the check. So the no-unsafe-* rules are off here only;
    // no-explicit-any stays on (tests write no `any` of their own).
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // The plain-JS scripts run under Node.
    files: ['scripts/**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
