// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** What the web page's scripts use from the browser. */
const browserGlobals = [
  'window',
  'document',
  'location',
  'history',
  'navigator',
  'localStorage',
  'sessionStorage',
  'fetch',
  'WebSocket',
  'URL',
  'URLSearchParams',
  'CSS',
  'HTMLElement',
  'HTMLButtonElement',
  'HTMLDetailsElement',
  'HTMLInputElement',
  'HTMLSelectElement',
  'HTMLTextAreaElement',
  'HTMLFormElement',
  'Node',
  'Event',
  'Blob',
  'Image',
  'setTimeout',
  'clearTimeout',
  'setInterval',
  'clearInterval',
  'requestAnimationFrame',
  'console',
  'performance',
];

/** Rooms that a room may not import, so that layering holds (see DESIGN.md). */
const layering = [
  {
    files: ['src/common/**'],
    forbidden: ['**/gateway/**', '**/router/**', '**/adapters/**', '**/mcp/**'],
  },
  { files: ['src/adapters/**'], forbidden: ['**/gateway/**', '**/router/**', '**/mcp/**'] },
  { files: ['src/router/**'], forbidden: ['**/gateway/**'] },
  { files: ['src/mcp/**'], forbidden: ['**/gateway/**', '**/router/**'] },
];

export default tseslint.config(
  {
    ignores: ['node_modules/', 'coverage/', 'data/', 'bench/results/', '.scratch/'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['eslint.config.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: 'TSEnumDeclaration',
          message: 'No enums: use an `as const` object and a union.',
        },
        { selector: 'TSModuleDeclaration[kind="namespace"]', message: 'No namespaces.' },
        {
          selector: 'TSParameterProperty',
          message: 'No parameter properties: Node strips types only.',
        },
      ],
    },
  },
  {
    // The web page's scripts run in the browser, untyped: syntax, undefined names and the
    // recommended rules, without the type-aware ones.
    files: ['src/gateway/static/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      parserOptions: { projectService: false, project: false, program: null },
      sourceType: 'module',
      globals: Object.fromEntries(browserGlobals.map((name) => [name, 'readonly'])),
    },
  },
  ...layering.map(({ files, forbidden }) => ({
    files,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: forbidden, message: 'This import breaks the layering in DESIGN.md.' },
          ],
        },
      ],
    },
  })),
  {
    files: ['test/**', 'bench/**', '**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);
