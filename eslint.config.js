// Lint is part of `npm test`: type-aware rules catch floating promises, which in a
// runner that must never half-write results are real bugs, not style.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import boundaries from './scripts/eslint-boundaries.js';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.dist-build-*/**', '.dist-old-*/**', 'coverage/**', '.tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  // The results page's script runs in the browser (operator/web/page, shipped unbuilt).
  { files: ['operator/web/page/**/*.js'], languageOptions: { globals: { ...globals.browser } } },
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: { '@typescript-eslint/no-floating-promises': 'error' },
  },
  // Which folder may import which (scripts/eslint-boundaries.js): runner never imports
  // operator, pure modules import no I/O, web imports no CLI or sandbox, nothing shipped
  // imports test/.
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs'],
    plugins: { raas: boundaries },
    rules: { 'raas/boundaries': 'error' },
  },
);
