// A reporter for node --test (scripts/run.mjs adds it beside the spec reporter): how long each
// top-level test or suite took, as JSON { name: ms }, for the run's "slowest" line. (Node 20 bounds
// each test file with --test-timeout; a file's top-level suites add up to about its time.)
export default async function* testTimes(source) {
  const times = {};
  for await (const event of source) {
    if ((event.type === 'test:pass' || event.type === 'test:fail') && event.data.nesting === 0) {
      times[event.data.name] = (times[event.data.name] ?? 0) + (event.data.details?.duration_ms ?? 0);
    }
  }
  yield `${JSON.stringify(times, null, 1)}\n`;
}
