// The one list of config sections: the top level of mxray.yaml, `mxray config example` and the
// order of `mxray config check` all come from it.
//
// A capability adds its section by defining it in its own folder and listing it here, e.g. presence:
//
//   // src/capabilities/presence/config.ts
//   export const presenceSection = defineSection({
//     key: 'presence',
//     schema: z.strictObject({ intervalMs: wholeNumber('milliseconds', 1000, 3_600_000).default(60_000), … }),
//     doc: `# Presence polling: …\npresence:\n  intervalMs: 60000\n`,
//   });
//
//   // here
//   import { presenceSection } from '../capabilities/presence/config.js';
//   export const sections = registry([storeSection, …, presenceSection]);
//
// and reads it with `config.section('presence')`, typed from the schema. config.test.ts does the
// same with a section of its own. rules are still to come.
import { registry } from './section.js';
import { storeSection } from './sections/store.js';
import { directorySection } from './sections/directory.js';
import { notifySection } from './sections/notify.js';
import { serveSection } from './sections/serve.js';
import { presenceSection } from '../capabilities/presence/config.js';
import { monitorSection } from '../capabilities/monitor/config.js';
import { rulesSection } from '../capabilities/rules/config.js';
import { integritySection } from './sections/integrity.js';

export const sections = registry([
  storeSection,
  directorySection,
  notifySection,
  serveSection,
  presenceSection,
  monitorSection,
  rulesSection,
  integritySection,
]);

export type Sections = typeof sections;
