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
    // The playground page: plain ES modules run by the browser.
    files: ['sim/discord/playground/public/**/*.js'],
    languageOptions: {
      globals: Object.fromEntries(['window', 'document', 'location', 'URL', 'CSS', 'fetch', 'EventSource', 'setTimeout', 'clearTimeout'].map((name) => [name, 'readonly'])),
    },
  },
);
