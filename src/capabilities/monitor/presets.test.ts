// Presets are data: every built-in one loads, every scheme of types.ts has one, a user's folder adds
// or replaces a protocol, and a broken preset file is an error naming file, line and key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtinPresetDir, compiledPresetsFile, GOODBYE_GRACE_MS, loadPresets, parsePreset, PresetError } from './presets.js';
import { schemes } from './types.js';

test('a built-in preset for every scheme, and no other', () => {
  const presets = loadPresets();
  assert.deepEqual([...presets.keys()].sort(), [...schemes].sort());
  const smtp = presets.get('smtp')!;
  assert.equal(smtp.port, 25);
  assert.deepEqual(
    smtp.steps.map((s) => s.kind),
    ['expect', 'send', 'expect', 'send', 'expect', 'starttls', 'send', 'expect', 'send', 'expect', 'send', 'expect', 'close'],
  );
  for (const name of ['imap', 'pop3', 'nntp', 'ftp', 'submission'])
    assert.ok(
      presets.get(name)!.steps.some((s) => s.kind === 'starttls'),
      `${name} upgrades to TLS`,
    );
  for (const name of ['smtps', 'imaps', 'pop3s', 'nntps', 'ftps', 'https']) assert.equal(presets.get(name)!.tls, 'implicit', name);
  // every conversation ends with a goodbye whose reply is waited for a short grace only
  for (const [name, p] of presets) {
    if (p.http || name === 'tcp') continue;
    const goodbyes = p.steps.filter((st) => st.kind === 'expect' && st.goodbye);
    assert.equal(goodbyes.length, 1, `${name}: one goodbye`);
    assert.equal(goodbyes[0]!.timeoutMs, GOODBYE_GRACE_MS, name);
  }
});

test("a folder of the user's adds a protocol and may replace a built-in one", () => {
  const dir = mkdtempSync(join(tmpdir(), 'mxray-presets-'));
  writeFileSync(join(dir, 'sieve.yaml'), "service: Sieve\nport: 4190\nsteps:\n  - expect: '^OK'\n    continue: '^\"'\n    banner: true\n");
  writeFileSync(join(dir, 'smtp.yaml'), "port: 2525\nsteps:\n  - expect: '^220 '\n");
  const presets = loadPresets([dir]);
  assert.equal(presets.get('sieve')!.port, 4190);
  assert.equal(presets.get('smtp')!.port, 2525);
  assert.equal(presets.get('smtp')!.service, 'SMTP');
  assert.equal(presets.get('imap')!.port, 143);
});

test('a broken preset names the file, the line and the key', () => {
  const bad: [string, string][] = [
    ['port: 25\nsteps:\n  - expect: "^220 "\n  - sned: EHLO x\n', 'x.yaml:4: steps[1].sned: unknown key'],
    ['port: 25\nsteps:\n  - expect: "^(220"\n', 'x.yaml:3: steps[0].expect: not a valid regular expression'],
    ['port: 99999\n', 'x.yaml:1: port: expected a port 1-65535, got 99999'],
    ['steps:\n  - send: "USER ${usr}"\n', 'x.yaml:2: steps[0].send: unknown variable ${usr}'],
    ['steps:\n  - expect: "x"\n    failure: oops\n', 'x.yaml:3: steps[0].failure: expected one of dns, refused'],
    ['steps:\n  - expect: "x"\n    send: y\n', 'x.yaml:2: steps[0]: a step has exactly one of expect, send, starttls, close (got expect, send)'],
    ['steps:\n  - send: y\n    continue: z\n', 'x.yaml:3: steps[0].continue: not a key of a send step'],
    ['tls: starttls\n', 'x.yaml:1: tls: expected none or implicit'],
    ['steps:\n  - when: always\n    close: true\n', 'x.yaml:2: steps[0].when: expected one of credentials, no-credentials, expect'],
    ['port: [1\n', 'x.yaml:1: not valid YAML'],
    ['steps:\n  - expect: "^221 "\n    goodbye: yes\n', 'x.yaml:3: steps[0].goodbye: expected true or false'],
    ['steps:\n  - send: QUIT\n    goodbye: true\n', 'x.yaml:3: steps[0].goodbye: not a key of a send step'],
  ];
  for (const [text, message] of bad)
    assert.throws(
      () => parsePreset('x.yaml', text),
      (e: Error) => e instanceof PresetError && e.message.startsWith(message),
      `${JSON.stringify(text)} → ${message}`,
    );
});

test("the build's parsed built-in presets are what their YAML files say", () => {
  assert.ok(existsSync(compiledPresetsFile), `the build writes ${compiledPresetsFile}`);
  const files = readdirSync(builtinPresetDir).filter((n) => n.endsWith('.yaml'));
  const compiled = JSON.parse(readFileSync(compiledPresetsFile, 'utf8')) as { file: string }[];
  assert.deepEqual(compiled.map((c) => c.file).sort(), files.sort());
  // loadPresets() takes the parsed form of an unchanged file: the same preset as parsing its YAML now
  const presets = loadPresets();
  for (const n of files) {
    const file = join(builtinPresetDir, n);
    const fromYaml = parsePreset(file, readFileSync(file, 'utf8'));
    assert.deepEqual(JSON.parse(JSON.stringify(presets.get(fromYaml.name))), JSON.parse(JSON.stringify(fromYaml)), n);
  }
});
