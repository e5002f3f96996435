/**
 * The architecture's rules, checked by `npm run lint` (so by `npm test` and CI) with dependency-cruiser, which
 * resolves every import (static, dynamic, type-only) the way TypeScript does. docs/workbench.md explains the layout.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'renderer-not-main-or-preload',
      severity: 'error',
      comment: 'The renderer runs in a sandboxed page: it reaches the core only through the contract (src/shared) and window.uis / HTTP.',
      from: { path: '^src/renderer/' },
      to: { path: '^src/(main|preload)/' },
    },
    {
      name: 'shared-imports-only-shared',
      severity: 'error',
      comment: 'src/shared is pure code every runtime imports: nothing of ours outside it.',
      from: { path: '^src/shared/' },
      to: { path: '^(?!src/shared/)(src|tests|scripts)/' },
    },
    {
      name: 'preload-imports-only-shared',
      severity: 'error',
      comment: 'The preload is bundled alone into a sandboxed context: the contract and its own checks only.',
      from: { path: '^src/preload/' },
      to: { path: '^(?!src/(shared|preload)/)(src|tests|scripts)/' },
    },
    {
      name: 'features-not-composition-root',
      severity: 'error',
      comment: 'src/main/app wires every feature; only the hosts (the Electron shell, the CLI, the service) start it.',
      from: { path: '^src/main/', pathNot: '^src/main/(app|electron|cli|server|bench)/' },
      to: { path: '^src/main/app/' },
    },
    {
      name: 'core-is-only-the-runtime',
      severity: 'error',
      comment: 'src/main/core is the runtime (dispatch, jobs, bus, errors, types): it knows no feature.',
      from: { path: '^src/main/core/' },
      to: { path: '^src/main/[^/]+/', pathNot: '^src/main/core/' },
    },
    {
      name: 'src-not-tests',
      severity: 'error',
      comment: 'What ships never imports the tests (benchmarks live in src/main/bench).',
      from: { path: '^src/' },
      to: { path: '^tests/' },
    },
    {
      name: 'no-cycle',
      severity: 'error',
      comment: 'A cycle between files that runs at load time (type-only imports and lazy import() excepted).',
      from: { path: '^src/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only', 'type-import', 'dynamic-import'] } },
    },
    {
      name: 'no-folder-cycle',
      severity: 'error',
      comment: 'The folders of src/main form layers: no two depend on each other, directly or round a loop (types included).',
      scope: 'folder',
      from: { path: '^src/main/[^/]+/?$' },
      to: { circular: true },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
