// The annotated example config: a header, then each section's own example in registry order.
// `mxray config example` prints it and examples/mxray.yaml is it (a test keeps the two equal and
// loads the file).
import type { Registry } from './section.js';
import { sections as allSections } from './sections.js';

const header = `# mxray.yaml: mxray's one config file. \`mxray config example\` prints this; \`mxray config check\`
# validates a file and prints what mxray makes of it.
#
# mxray reads --config FILE, else the file MXRAY_CONFIG names, else ./mxray.yaml when it exists.
# Every section is optional, and a command reads only the sections it needs: an error in notify:
# does not stop \`mxray ingest\`.
#   - Relative paths are relative to this file's folder. Windows paths (C:\\mxray\\ldap.password,
#     \\\\server\\share\\x) work unquoted or in 'single quotes' (in "double quotes" \\ is an escape).
#   - Secrets never go in this file: give passwordFile: PATH (a file holding only the secret; one
#     trailing newline is ignored) or passwordEnv: NAME (an environment variable); the same for
#     tokenFile/tokenEnv and a header's valueFile/valueEnv.
`;

export function exampleConfig(sections: Registry = allSections): string {
  return [header, ...Object.values(sections).map((s) => s.doc)].join('\n');
}
