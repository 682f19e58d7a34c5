// `param`: the cmdlet log's parameters text read as parameters. The real-format strings are those the
// public evidence shows (Sigma's msexchange-management rules, the Rps cmdlet log's Parameters column,
// an Exchange 2010 event), with what each must give written out by hand; then the typed forms, quotes
// inside values, and hostile texts (unterminated quotes, huge values, a flood of parameters, random
// bytes), which must give an answer, bounded, without throwing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../../../generate/tracking/random.js';
import { MAX_CHARS, MAX_PARAMS, paramHolds, parseCmdletParams, type ParamTest } from './param.js';

/** name=value pairs, for short assertions ($null as null) */
const pairs = (text: string) => parseCmdletParams(text).params.map((p) => [p.name, p.value]);

test('the forms the public evidence shows: -Name "value", backslashes as they are, Exchange 2010 {Name=value}', () => {
  // Sigma win_exchange_proxyshell_remove_mailbox_export: ' -Identity ', ' -Confirm "False"'
  assert.deepEqual(pairs('-Identity "alice\\Export1" -Confirm "False"'), [
    ['Identity', 'alice\\Export1'],
    ['Confirm', 'False'],
  ]);
  // Sigma win_exchange_proxyshell_mailbox_export: ' -Role "Mailbox Import Export"', ' -User ', '-FilePath "\\\\'
  assert.deepEqual(pairs('-Role "Mailbox Import Export" -User "administrator@corp.example"'), [
    ['Role', 'Mailbox Import Export'],
    ['User', 'administrator@corp.example'],
  ]);
  assert.deepEqual(pairs('-Mailbox "bob@corp.example" -IncludeFolders "#Drafts#" -FilePath "\\\\localhost\\c$\\inetpub\\wwwroot\\aspnet_client\\x.aspx"'), [
    ['Mailbox', 'bob@corp.example'],
    ['IncludeFolders', '#Drafts#'],
    ['FilePath', '\\\\localhost\\c$\\inetpub\\wwwroot\\aspnet_client\\x.aspx'],
  ]);
  // the Rps cmdlet log's Parameters column (CSV-unquoted): -ResultSize "1"
  assert.deepEqual(pairs('-ResultSize "1"'), [['ResultSize', '1']]);
  // an Exchange 2010 event's %2
  assert.deepEqual(pairs('{MailboxServer=SCEX02, Identity=DAG1}'), [
    ['MailboxServer', 'SCEX02'],
    ['Identity', 'DAG1'],
  ]);
  assert.deepEqual(pairs('{Identity=ivan, ForwardingSmtpAddress=}'), [
    ['Identity', 'ivan'],
    ['ForwardingSmtpAddress', null],
  ]);
  // a multi-valued property: one quoted value, its elements joined by ", "
  const [rights] = parseCmdletParams('-ExtendedRights "Receive-As, Send-As"').params;
  assert.deepEqual(rights?.items, ['Receive-As', 'Send-As']);
  assert.equal(parseCmdletParams('').params.length, 0);
});

test('the typed forms: single quotes, bare words, $null/$true/$false, -Name:value, switches, lists', () => {
  assert.deepEqual(pairs("-Identity 'bob\\fw' -ForwardAsAttachmentTo 'x@outside.example'"), [
    ['Identity', 'bob\\fw'],
    ['ForwardAsAttachmentTo', 'x@outside.example'],
  ]);
  assert.deepEqual(pairs('-Identity bob -ForwardingAddress $null -DeliverToMailboxAndForward $FALSE -AuditEnabled:$true -Force -Priority -1'), [
    ['Identity', 'bob'],
    ['ForwardingAddress', null],
    ['DeliverToMailboxAndForward', 'False'],
    ['AuditEnabled', 'True'],
    ['Force', 'True'],
    ['Priority', '-1'],
  ]);
  assert.deepEqual(pairs('-Confirm:$false -Identity:"x y"'), [
    ['Confirm', 'False'],
    ['Identity', 'x y'],
  ]);
  const list = parseCmdletParams('-AccessRights "ReadPermission","FullAccess" -Members @(\'a\', \'b\') -Last');
  assert.deepEqual(
    list.params.map((p) => [p.name, p.items]),
    [
      ['AccessRights', ['ReadPermission', 'FullAccess']],
      ['Members', ['a', 'b']],
      ['Last', ['True']],
    ],
  );
  // a positional value (typed: Set-Mailbox bob …) is no parameter
  assert.deepEqual(pairs('bob -AuditEnabled "False"'), [['AuditEnabled', 'False']]);
});

test('a parameter name inside another parameter’s quoted value is part of that value', () => {
  assert.deepEqual(pairs('-Notes "please set -ForwardingSmtpAddress later"'), [['Notes', 'please set -ForwardingSmtpAddress later']]);
  assert.deepEqual(pairs('-DisplayName "-RedirectTo desk"'), [['DisplayName', '-RedirectTo desk']]);
  assert.deepEqual(pairs('-Name "copy -ForwardTo x@outside.example" -MarkAsRead "True"'), [
    ['Name', 'copy -ForwardTo x@outside.example'],
    ['MarkAsRead', 'True'],
  ]);
  assert.deepEqual(pairs("-Name 'it''s -RedirectTo y' -Enabled 'True'"), [
    ['Name', "it's -RedirectTo y"],
    ['Enabled', 'True'],
  ]);
  // quotes inside a value: doubled, backtick-escaped, or raw (a quote that no boundary follows)
  assert.deepEqual(pairs('-DisplayName "the ""away"" desk" -ForwardingSmtpAddress "smtp:hal@outside.example"'), [
    ['DisplayName', 'the "away" desk'],
    ['ForwardingSmtpAddress', 'smtp:hal@outside.example'],
  ]);
  assert.deepEqual(pairs('-DisplayName "the `"away`" desk" -X "1"'), [
    ['DisplayName', 'the "away" desk'],
    ['X', '1'],
  ]);
  assert.deepEqual(pairs('-DisplayName "a "b" c" -X "1"'), [
    ['DisplayName', 'a "b" c'],
    ['X', '1'],
  ]);
  // a value ending in a raw quote, written without doubling, before the next parameter
  assert.deepEqual(pairs('-DisplayName "a "" -X "1"'), [
    ['DisplayName', 'a "'],
    ['X', '1'],
  ]);
  // empty values
  assert.deepEqual(pairs('-ForwardTo "" -RedirectTo \'\''), [
    ['ForwardTo', ''],
    ['RedirectTo', ''],
  ]);
});

test('the ambiguous case reads the parameter: a false alarm, not a missed one', () => {
  // a value that holds `" -Name` itself cannot be told from a parameter; the parameter is read
  assert.deepEqual(pairs('-DisplayName "x" -ForwardingSmtpAddress "evil@outside.example"'), [
    ['DisplayName', 'x'],
    ['ForwardingSmtpAddress', 'evil@outside.example'],
  ]);
});

test('hostile texts: an answer, bounded, never a throw', () => {
  // unterminated quote: the value runs to the end; the parameters before it are read
  const open = parseCmdletParams('-Identity "bob" -DisplayName "x -ForwardingSmtpAddress y');
  assert.deepEqual(
    open.params.map((p) => [p.name, p.value]),
    [
      ['Identity', 'bob'],
      ['DisplayName', 'x -ForwardingSmtpAddress y'],
    ],
  );
  assert.match(open.malformed!, /unterminated quote at column 30/);
  // a value over the cap: read up to MAX_CHARS, said so
  const huge = parseCmdletParams(`-Identity "bob" -Notes "${'a'.repeat(MAX_CHARS + 10)}" -ForwardingSmtpAddress "x@outside.example"`);
  assert.equal(huge.params.length, 2);
  assert.ok(huge.params[1]!.value!.length < MAX_CHARS);
  assert.match(huge.malformed!, /longer than 1048576 characters/);
  // a flood of parameters: at most MAX_PARAMS
  const flood = parseCmdletParams('-A "1" '.repeat(MAX_PARAMS + 500));
  assert.equal(flood.params.length, MAX_PARAMS);
  assert.match(flood.malformed!, /more than 10000 parameters/);
  // quotes only, dashes only, commas only, a lone dash, an open @(
  for (const s of ['"'.repeat(100_001), "'".repeat(100_000), '-'.repeat(50_000), ','.repeat(50_000), '-', '-:', '@(', '@(,,', '-A @(', '{}', '{A=', '-A:', '$'])
    assert.doesNotThrow(() => parseCmdletParams(s), JSON.stringify(s.slice(0, 20)));
  // random texts of the characters that matter
  const rnd = new Random(11, 'param-fuzz');
  const alphabet = ['"', "'", '`', ' ', '-', 'A', 'b', ':', ',', '$', 'null', 'true', '@(', ')', '{', '}', '=', '\\', '\t'];
  for (let n = 0; n < 3000; n++) {
    const s = Array.from({ length: rnd.int(0, 60) }, () => rnd.pick(alphabet)).join('');
    const r = parseCmdletParams(s);
    assert.ok(r.params.length <= s.length, s);
    for (const p of r.params) assert.match(p.name, /^[A-Za-z_][A-Za-z0-9_]*$/, s);
  }
});

const test_ = (names: string[], more: Partial<ParamTest> = {}): ParamTest => ({ names, is: 'not-null', ...more });

test('the condition: names without regard to case; set, not-null, equals (one of a list), matches', () => {
  const fwd = test_(['ForwardingSmtpAddress', 'ForwardingAddress']);
  assert.equal(paramHolds('-Identity "bob" -ForwardingSmtpAddress "smtp:x@outside.example"', fwd), true);
  assert.equal(paramHolds('-identity "bob" -forwardingaddress "ext"', fwd), true);
  assert.equal(paramHolds('-Identity "bob" -ForwardingSmtpAddress $null', fwd), false);
  assert.equal(paramHolds('-Identity "bob" -ForwardingSmtpAddress ""', fwd), false);
  assert.equal(paramHolds('-Identity "bob" -ForwardingSmtpAddress ""', test_(['ForwardingSmtpAddress'], { is: 'set' })), true);
  assert.equal(paramHolds('-CustomAttribute1 "please set -ForwardingSmtpAddress later"', fwd), false);
  // abbreviations are not matched: the log writes the declared name
  assert.equal(paramHolds('-ForwardingSmtp "x@outside.example"', fwd), false);
  const full = test_(['AccessRights'], { equals: ['FullAccess'] });
  assert.equal(paramHolds('-AccessRights "ReadPermission, FullAccess"', full), true);
  assert.equal(paramHolds('-AccessRights "fullaccess"', full), true);
  assert.equal(paramHolds('-Identity "FullAccess-team" -AccessRights "ReadPermission"', full), false);
  const off = test_(['AuditEnabled'], { equals: ['False'] });
  assert.equal(paramHolds('-AuditEnabled $false', off), true);
  assert.equal(paramHolds('-AuditEnabled:$False', off), true);
  assert.equal(paramHolds('-AuditEnabled "True"', off), false);
  assert.equal(paramHolds('-AuditEnabled', off), false);
  const path = test_(['FilePath'], { matches: /^\\\\|\.aspx$/i });
  assert.equal(paramHolds('-FilePath "\\\\localhost\\c$\\x.pst"', path), true);
  assert.equal(paramHolds('-FilePath "D:\\pst\\X.ASPX"', path), true);
  assert.equal(paramHolds('-FilePath "D:\\pst\\x.pst" -Name "a.aspx"', path), false);
  // malformed text: the parameters read before the fault count
  assert.equal(paramHolds('-ForwardTo "x@outside.example" -Name "open', test_(['ForwardTo'])), true);
  assert.equal(paramHolds('-Name "open -ForwardTo x@outside.example', test_(['ForwardTo'])), false);
});
