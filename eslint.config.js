import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.tools/', 'data/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // The admin console's browser modules (served as they are, no build step).
    files: ['admin-api/console/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(['document', 'window', 'location', 'sessionStorage', 'fetch', 'URL', 'Node'].map((name) => [name, 'readonly'])),
    },
  },
  {
    // The playground page: plain ES modules run by the browser.
    files: ['sim/discord/playground/public/**/*.js'],
    languageOptions: {
      globals: Object.fromEntries(['window', 'document', 'location', 'URL', 'CSS', 'fetch', 'EventSource', 'setTimeout', 'clearTimeout'].map((name) => [name, 'readonly'])),
    },
  },
);
