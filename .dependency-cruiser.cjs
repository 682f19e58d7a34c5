// Which folder may import which: the layers of the tree, checked by `node scripts/run.mjs check`
// (run first by `npm test`). A forbidden import or an import cycle fails the check.
//
// The layers, bottom up:
//   schema        record tables, row writer, load plans, reject reasons: imports nothing of src
//   sql           the SQL tag and the dialects: schema only
//   store         Store, DuckDB and ClickHouse: schema, sql (and its own subfolders)
//   formats       one folder per log format: schema, sql types, and a capability's decoders (the IIS
//                 format decodes ActiveSync's Log= with capabilities/activesync)
//   ingest        files -> formats -> batches -> store: schema, formats, store types
//   capabilities  one folder per capability: schema, sql, store types, render
//   render        table, csv, json renderers: nothing of src
//   cli           commands: anything but the test harness and the benchmarks
//   generate      sample data with truth (also shipped: `mxray generate`): never the harness or benchmarks
//   testing, bench   as they need; no product code imports them
// Tests (*.test.ts) and their fixtures (*.fixture.ts) may import across layers (a store test ingests
// generated logs and compares reports); the rules speak of the code that ships.
//
// Type-only imports count (tsPreCompilationDeps): `import type` is how ingest and capabilities see the
// store, and the rules say they may see nothing else of it.

const TEST = '\\.(test|fixture)\\.ts$';
const STORE_TYPES = '^src/store/types\\.ts$';

/** a forbidden rule from a folder of shipped code to anything of src outside `allowed` (regexes of folders) */
function only(name, from, allowed, comment) {
  return {
    name,
    comment,
    severity: 'error',
    from: { path: from, pathNot: TEST },
    to: { path: '^src/', pathNot: allowed },
  };
}

/** the store, seen from above: only its types module, and only types from it */
function storeTypesOnly(name, from) {
  return [
    {
      name: `${name}-store-types-only`,
      comment: `${from} sees the store through src/store/types.ts only; the backends are chosen by cli (store/open.ts)`,
      severity: 'error',
      from: { path: from, pathNot: TEST },
      to: { path: '^src/store/', pathNot: STORE_TYPES },
    },
    {
      name: `${name}-store-types-as-types`,
      comment: `${from} imports src/store/types.ts with \`import type\` only`,
      severity: 'error',
      from: { path: from, pathNot: TEST },
      to: { path: STORE_TYPES, dependencyTypesNot: ['type-only'] },
    },
  ];
}

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'no module imports itself through others (type-only imports included: a cycle of types is still one design knot)',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    only('schema-imports-nothing', '^src/schema/', '^src/schema/', 'schema is the bottom layer: it imports nothing of src'),
    only('sql-only-schema', '^src/sql/', '^src/(sql|schema)/', 'sql builds on schema only'),
    only('store-only-schema-sql', '^src/store/', '^src/(store|schema|sql)/', 'the store knows tables and SQL, not formats, ingest or reports'),
    only(
      'formats-layer',
      '^src/formats/',
      '^src/(formats|schema|sql|capabilities/[^/]+)/',
      "formats use schema, sql types and a capability's decoders (formats/iis decodes Log= with capabilities/activesync)",
    ),
    {
      name: 'formats-sql-types-only',
      comment: 'formats may name SQL types, not build or run queries',
      severity: 'error',
      from: { path: '^src/formats/', pathNot: TEST },
      to: { path: '^src/sql/', dependencyTypesNot: ['type-only'] },
    },
    only(
      'ingest-layer',
      '^src/ingest/',
      `^src/(ingest|schema|formats)/|${STORE_TYPES}`,
      'ingest reads files through formats into a store it knows by its types',
    ),
    ...storeTypesOnly('ingest', '^src/ingest/'),
    only(
      'capabilities-layer',
      '^src/capabilities/',
      `^src/(capabilities|schema|sql|render)/|${STORE_TYPES}|^src/config/(section|fields|refs|errors|sections/[^/]+)\\.ts$`,
      'a capability holds its tables, queries and reports over schema, sql, store types and render, and defines its config section with the config building blocks',
    ),
    ...storeTypesOnly('capabilities', '^src/capabilities/'),
    // reports/ is on its way into capabilities/: the same rule until it is gone
    only('reports-layer', '^src/reports/', `^src/(reports|capabilities|schema|sql|render)/|${STORE_TYPES}`, 'reports move into capabilities: the same layer'),
    ...storeTypesOnly('reports', '^src/reports/'),
    only('render-imports-nothing', '^src/render/', '^src/render/', 'renderers take rows and columns, nothing of the domain'),
    {
      name: 'shipped-code-not-harness',
      comment: 'the test harness and the benchmarks do not ship: no shipped code imports them',
      severity: 'error',
      from: { path: '^src/', pathNot: [TEST, '^src/(testing|bench)/'] },
      to: { path: '^src/(testing|bench)/' },
    },
    {
      name: 'generate-not-cli',
      comment: 'generate is below cli (`mxray generate` imports it)',
      severity: 'error',
      from: { path: '^src/generate/', pathNot: TEST },
      to: { path: '^src/cli/' },
    },
    {
      name: 'no-test-imports',
      comment: 'no shipped code imports a test file or a test fixture',
      severity: 'error',
      from: { path: '^src/', pathNot: [TEST, '^src/(testing|bench)/'] },
      to: { path: TEST },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^src/',
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
