import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The layers of architecture.md, top to bottom; a file may import only from its own layer or below. The
 * ground floor (src/event.ts, errors, durations, cancellation, version) is below them all.
 */
const LAYERS = [
  ['src/cli'],
  ['src/function'],
  ['src/server'],
  ['src/graph-server'],
  ['src/graph', 'src/remote'],
  ['src/streams'],
  ['src/model'],
  ['src/step'],
  ['src/protocol'],
  ['bindings'],
];
const layerRules = LAYERS.map((folders, i) => {
  const above = LAYERS.slice(0, i).flat();
  return {
    files: folders.map((f) => `${f}/**/*.ts`),
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: above.map((f) => ({
            group: [`**/${f.split('/').pop()}`, `**/${f.split('/').pop()}/**`],
            message: `${f} is a layer above this one (architecture.md): imports run downwards only.`,
          })),
        },
      ],
    },
  };
});

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'build/',
      'build-*/',
      'prebuilds/',
      'node_modules/',
      'bench/results/',
      'coverage/',
      '.cache/',
      '.gpu/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: {
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        __dirname: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  ...layerRules,
);
