// `mxray generate events` checked twice over: python3's xml.etree (Debian's /usr/bin/python3, an
// independent XML reader) parses the generated files and counts events, EventIDs and insertion
// strings, which must equal the generator's truth.json; then the files are ingested (format
// evtx-xml, sniffed) and `rules test rules/exchange-admin.yaml --json` must give exactly the truth's
// matches per rule, on DuckDB and on ClickHouse.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mxrayInProcess as mxray } from '../../testing/run-cli.js';
import { repoPath } from '../../testing/paths.js';
import { describeClickhouse, startClickhouse, type ClickhouseServer } from '../../testing/clickhouse.js';
import type { RuleResult } from '../../capabilities/rules/engine.js';
import { cmdletCases, ruleNames, type EventsTruth } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'mxray-genevents-'));
const out = join(dir, 'gen');
const logs = join(out, 'logs');
const db = join(dir, 'events.duckdb');
const rulesFile = repoPath('rules', 'exchange-admin.yaml');
let truth: EventsTruth;
/** the cmdlet runs (%1, %2) python3 read from the generated cmdlet log */
const pyCmdlets: string[][] = [];

const PY = String.raw`
import sys, json, re, xml.etree.ElementTree as ET
raw = open(sys.argv[1], 'rb').read()
if raw.startswith(b'\xff\xfe'): text = raw[2:].decode('utf-16-le')
elif raw.startswith(b'\xef\xbb\xbf'): text = raw[3:].decode('utf-8')
else: text = raw.decode('utf-8')
text = re.sub(r'^\s*<\?xml[^>]*\?>', '', text)
root = ET.fromstring('<r>' + text + '</r>')
ns = '{http://schemas.microsoft.com/win/2004/08/events/event}'
events = root.iter(ns + 'Event')
ids, n, data, cmdlets = {}, 0, 0, []
for e in events:
    n += 1
    i = e.find(ns + 'System/' + ns + 'EventID').text
    ids[i] = ids.get(i, 0) + 1
    d = e.findall(ns + 'EventData/' + ns + 'Data')
    data += len(d)
    if e.find(ns + 'System/' + ns + 'Provider').get('Name') == 'MSExchange CmdletLogs':
        cmdlets.append([x.text or '' for x in d[:2]])
print(json.dumps({'events': n, 'eventIds': ids, 'insertionStrings': data, 'cmdlets': cmdlets}))
`;

before(async () => {
  const g = await mxray(['generate', 'events', '--out', out, '--seed', '7']);
  assert.equal(g.code, 0, g.stderr);
  truth = JSON.parse(readFileSync(join(out, 'truth.json'), 'utf8')) as EventsTruth;
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('python3 xml.etree reads the generated files: its counts of events, EventIDs and insertion strings are the truth’s', () => {
  const files = readdirSync(logs).sort();
  assert.deepEqual(files, Object.keys(truth.files).sort());
  for (const f of files) {
    const r = spawnSync('/usr/bin/python3', ['-c', PY, join(logs, f)], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, `python3 could not read ${f}: ${r.stderr}`);
    const { encoding: _encoding, ...want } = truth.files[f]!;
    const { cmdlets, ...got } = JSON.parse(r.stdout) as { cmdlets: string[][] };
    assert.deepEqual(got, want, f);
    pyCmdlets.push(...cmdlets);
  }
  // every rule has cases that fire it (and the look-alikes that must not are in the files too)
  assert.deepEqual(Object.keys(truth.matches).sort(), [...ruleNames].sort());
  for (const r of ruleNames) assert.ok(truth.matches[r]! > 0, r);
});

// python3's own reading of the cmdlet rules (an oracle written apart from ops/param.ts): %2 split by
// one regular expression into quoted strings and words, a parameter a word -Name (or -Name:value, or
// Exchange 2010's {Name=value, …}), its value the next token; and, beside it, the regular expressions
// the starter rules used before op: param, which searched the text.
const PY_RULES = String.raw`
import sys, json, re
cmdlets = json.load(sys.stdin)
TOK = re.compile(r'''\s*(?:"((?:[^"]|"")*)"(?=\s|$)|'((?:[^']|'')*)'(?=\s|$)|(\S+))''')
CONST = {'$null': None, '$true': 'True', '$false': 'False'}
def params(text):
    text = text.strip()
    m = re.match(r'^\{(.*)\}$', text)
    if m:
        return [(k.lower(), v or None) for k, v in re.findall(r'(?:^|, )(\w+)=([^,]*)', m.group(1))]
    toks = []
    for d, s1, w in TOK.findall(text):
        if w: toks.append(('word', w))
        else: toks.append(('text', d.replace('""', '"') if d or not s1 else s1.replace("''", "'")))
    out, i = [], 0
    while i < len(toks):
        kind, t = toks[i]
        m = re.match(r'^-([A-Za-z]\w*)(?::(.*))?$', t) if kind == 'word' else None
        i += 1
        if not m: continue
        if m.group(2) is not None:
            out.append((m.group(1).lower(), CONST.get(m.group(2).lower(), m.group(2)))); continue
        if i < len(toks) and not (toks[i][0] == 'word' and re.match(r'^-[A-Za-z]', toks[i][1])):
            k, v = toks[i]; i += 1
            out.append((m.group(1).lower(), CONST.get(v.lower(), v) if k == 'word' else v))
        else:
            out.append((m.group(1).lower(), 'True'))
    return out
RULES = {
    'exchange-mailbox-forwarding': (['Set-Mailbox', 'Set-MailUser'], ['forwardingsmtpaddress', 'forwardingaddress'], None),
    'exchange-mailbox-deliver-and-forward': (['Set-Mailbox', 'Set-MailUser'], ['delivertomailboxandforward'], 'true'),
    'exchange-inbox-rule-forwarding': (['New-InboxRule', 'Set-InboxRule'], ['forwardto', 'forwardasattachmentto'], None),
    'exchange-inbox-rule-redirect': (['New-InboxRule', 'Set-InboxRule'], ['redirectto'], None),
    'exchange-fullaccess-granted': (['Add-MailboxPermission'], ['accessrights'], 'fullaccess'),
    'exchange-sendas-granted': (['Add-ADPermission'], ['extendedrights'], 'send-as'),
    'exchange-mailbox-audit-disabled': (['Set-Mailbox'], ['auditenabled'], 'false'),
    'exchange-mailbox-audit-bypass': (['Set-MailboxAuditBypassAssociation'], ['auditbypassenabled'], 'true'),
    'exchange-transport-rule-changed': (['New-TransportRule', 'Set-TransportRule', 'Enable-TransportRule'], None, None),
    'exchange-admin-audit-changed': (['Set-AdminAuditLogConfig'], None, None),
}
def fires(rule, cmdlet, text):
    cmds, names, want = RULES[rule]
    if cmdlet not in cmds: return False
    if names is None: return True
    for n, v in params(text):
        if n not in names or v is None or v.strip() == '': continue
        if want is None or want in [x.strip().lower() for x in v.split(',')]: return True
    return False
OLD = {
    'exchange-mailbox-forwarding': r'''(^|\s)-(Forwarding(Smtp)?Address[:\s]+("[^"]|'[^']|[^"'$\s])|DeliverToMailboxAndForward[:\s]+["']?\$?[Tt]rue\b)''',
    'exchange-inbox-rule-forwarding': r'''(^|\s)-Forward(AsAttachment)?To[:\s]+("[^"]|'[^']|[^"'$\s])''',
    'exchange-inbox-rule-redirect': r'''(^|\s)-RedirectTo[:\s]+("[^"]|'[^']|[^"'$\s])''',
    'exchange-fullaccess-granted': r'''(^|\s)-AccessRights[:\s]+["']?([A-Za-z]+,\s*)*FullAccess\b''',
    'exchange-sendas-granted': r'''(^|\s)-ExtendedRights[:\s]+["']?([A-Za-z-]+,\s*)*Send-As\b''',
    'exchange-mailbox-audit-disabled': r'''(^|\s)-AuditEnabled[:\s]+["']?\$?[Ff]alse\b''',
    'exchange-mailbox-audit-bypass': r'''(^|\s)-AuditBypassEnabled[:\s]+["']?\$?[Tt]rue\b''',
}
runs = []
for cmdlet, text in cmdlets:
    now = sorted(r for r in RULES if fires(r, cmdlet, text))
    old = sorted(r for r, rx in OLD.items() if cmdlet in RULES[r][0] and re.search(rx, text))
    runs.append({'cmdlet': cmdlet, 'params': text, 'fires': now, 'oldFires': old})
print(json.dumps(runs))
`;

interface PyRun {
  cmdlet: string;
  params: string;
  fires: string[];
  oldFires: string[];
}

test('python3’s own reading of the rules fires on exactly the runs the generator says; the search of the text the rules once made fired on the near misses too', () => {
  assert.ok(pyCmdlets.length > 0);
  const r = spawnSync('/usr/bin/python3', ['-c', PY_RULES], { input: JSON.stringify(pyCmdlets), encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const runs = JSON.parse(r.stdout) as PyRun[];
  // run by run, python3's rules and the generator's hand labels agree
  for (const x of runs) {
    const c = cmdletCases.find((k) => k.cmdlet === x.cmdlet && k.params === x.params);
    assert.ok(c, `${x.cmdlet} ${x.params} is a case of the generator`);
    assert.deepEqual(x.fires, [...c.fires].sort(), `${x.cmdlet} ${x.params}`);
  }
  // per rule, python3's counts are the truth's
  for (const rule of ruleNames.filter((n) => n.startsWith('exchange-')))
    assert.equal(runs.filter((x) => x.fires.includes(rule)).length, truth.matches[rule], rule);
  // the near misses with a parameter name inside another parameter's value: each rule that searched
  // the text fired on some, which op: param does not
  const searched = [
    'exchange-mailbox-forwarding',
    'exchange-inbox-rule-forwarding',
    'exchange-inbox-rule-redirect',
    'exchange-fullaccess-granted',
    'exchange-sendas-granted',
    'exchange-mailbox-audit-disabled',
    'exchange-mailbox-audit-bypass',
  ];
  for (const rule of searched)
    assert.ok(
      runs.some((x) => x.oldFires.includes(rule) && !x.fires.includes(rule) && /"[^"]* -[A-Za-z]/.test(x.params)),
      `${rule}: a run whose value holds a parameter name, which the search of the text fired on`,
    );
  // the searches fired on every run that fires now, but for the forms they missed: names in lower
  // case (-forwardingsmtpaddress) and Exchange 2010's {Name=value, …}
  const missedForms = runs.filter((x) => x.fires.length && (x.params.startsWith('{') || /^-identity/.test(x.params)));
  assert.ok(missedForms.length > 0 && missedForms.every((x) => x.oldFires.length === 0));
  for (const x of runs.filter((r) => !missedForms.includes(r)))
    for (const rule of x.fires.filter((f) => searched.includes(f))) assert.ok(x.oldFires.includes(rule), `${rule} on ${x.params}`);
});

async function rulesTest(where: readonly string[]): Promise<Record<string, number>> {
  const r = await mxray(['rules', 'test', rulesFile, ...where, '--json']);
  assert.equal(r.code, 0, r.stderr);
  return Object.fromEntries((JSON.parse(r.stdout) as RuleResult[]).map((x) => [x.rule, x.matches]));
}

test('the cmdlet log holds the look-alikes the precise rules must not fire on (python3 reads them)', () => {
  assert.ok(pyCmdlets.length > 0);
  const ran = (cmdlets: string[], params: RegExp) => pyCmdlets.filter(([c, p]) => cmdlets.includes(c!) && params.test(p!)).length;
  const fires = (rule: string, cmdlet: string, params: string) => cmdletCases.some((c) => c.cmdlet === cmdlet && c.params === params && c.fires.includes(rule));
  const firing = (rule: string) => pyCmdlets.filter(([c, p]) => fires(rule, c!, p!)).length;
  // "forward" anywhere in the parameters of Set-Mailbox/Set-MailUser (what the rule once matched):
  // more runs than the forwards set, so names containing "forward" and forwards cleared are there
  const forwardText = ran(['Set-Mailbox', 'Set-MailUser'], /forward/i);
  assert.ok(forwardText > firing('exchange-mailbox-forwarding') && firing('exchange-mailbox-forwarding') > 0);
  assert.ok(ran(['Set-Mailbox', 'Set-MailUser'], /-Identity "forward/) > 0, 'a mailbox named forwarders@');
  assert.ok(ran(['Set-Mailbox', 'Set-MailUser'], /-DisplayName "Forwarding/) > 0, 'a display name with Forwarding');
  assert.ok(ran(['Set-Mailbox', 'Set-MailUser'], /-ForwardingSmtpAddress (\$null|"")/) > 0, 'a forward cleared');
  assert.ok(ran(['New-InboxRule', 'Set-InboxRule'], /forward|redirect/i) > firing('exchange-inbox-rule-forwarding') + firing('exchange-inbox-rule-redirect'));
  assert.ok(ran(['Set-MailboxAuditBypassAssociation'], /-AuditBypassEnabled "False"/) > 0, 'audit bypass set to False');
  assert.ok(ran(['Set-MailboxAuditBypassAssociation'], /-AuditBypassEnabled/) > firing('exchange-mailbox-audit-bypass'));
  assert.ok(ran(['Enable-TransportRule'], /./) > 0 && ran(['Disable-TransportRule'], /./) > 0);
  // the truth's counts are those of the runs python3 read, case by case
  for (const r of ruleNames.filter((x) => x.startsWith('exchange-'))) assert.equal(firing(r), truth.matches[r], r);
});

test('ingest + rules test exchange-admin.yaml on DuckDB: exactly the truth’s matches per rule', async () => {
  const ing = await mxray(['ingest', logs, '--db', db, '--json']);
  assert.equal(ing.code, 0, ing.stderr);
  const events = Object.values(truth.files).reduce((n, f) => n + f.events, 0);
  const sum = JSON.parse(ing.stdout) as { events: number; rejects: number; formats: Record<string, number> };
  assert.deepEqual([sum.events, sum.rejects, sum.formats['evtx-xml']], [events, 0, 2]);
  assert.deepEqual(await rulesTest(['--db', db]), truth.matches);
});

test('rules test: every example of a cmdlet rule is a run the generator says fires it', async () => {
  const r = await mxray(['rules', 'test', rulesFile, '--db', db, '--json', '--examples', '1000']);
  assert.equal(r.code, 0, r.stderr);
  for (const x of JSON.parse(r.stdout) as RuleResult[]) {
    if (!x.rule.startsWith('exchange-')) continue;
    assert.equal(x.examples.length, truth.matches[x.rule], x.rule);
    for (const e of x.examples) {
      const c = cmdletCases.find((k) => k.cmdlet === e.record['%1'] && k.params === (e.record['%2'] ?? ''));
      assert.ok(c?.fires.includes(x.rule), `${x.rule} fired on ${String(e.record['%1'])} ${String(e.record['%2'])}`);
    }
  }
});

describeClickhouse('generated events on ClickHouse', () => {
  let server: ClickhouseServer | undefined;
  before(async () => {
    server = await startClickhouse();
  });
  after(async () => {
    await server?.stop();
  });
  test('ingest + rules test exchange-admin.yaml: exactly the truth’s matches per rule', async () => {
    const store = ['--store', `clickhouse://127.0.0.1:${server!.httpPort}/${server!.database}`];
    const ing = await mxray(['ingest', logs, ...store]);
    assert.equal(ing.code, 0, ing.stderr);
    assert.deepEqual(await rulesTest(store), truth.matches);
  });
});
