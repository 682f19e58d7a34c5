// A reporter for node --test (scripts/run.mjs adds it beside the spec reporter): how long each
// top-level test or suite took, and each test file (the sum of its top-level tests and suites), as
// JSON { tests: { name: ms }, files: { path: ms } }, for the run's "slowest" lines. (Node 20 bounds
// each test file with --test-timeout; a file's top-level suites add up to about its time.)
// A suite declared by a helper module (testing/clickhouse.ts's describeClickhouse) names that
// module as its file: it is counted for the test file its own tests were declared in.
export default async function* testTimes(source) {
  const tests = {};
  const files = {};
  // the test file of the nested tests seen since the last top-level one ended
  let inner;
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { nesting, name, file, details } = event.data;
    if (nesting > 0) {
      if (file?.endsWith('.test.js')) inner ??= file;
      continue;
    }
    const ms = details?.duration_ms ?? 0;
    tests[name] = (tests[name] ?? 0) + ms;
    const owner = file?.endsWith('.test.js') ? file : (inner ?? file ?? name);
    files[owner] = (files[owner] ?? 0) + ms;
    inner = undefined;
  }
  yield `${JSON.stringify({ tests, files }, null, 1)}\n`;
}
