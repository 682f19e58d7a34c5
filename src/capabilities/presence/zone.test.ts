// localIso (the report's firstOnline/lastOnline text) against Intl's own formatting of the same
// instants, in zones with whole, half and quarter hour offsets, west and east, across their clock
// changes, and UTC.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { localIso } from './zone.js';

/** the same text from Intl: local fields and the offset as ±HH:MM (Z for UTC) */
function byIntl(zone: string, t: number): string {
  const f = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    timeZoneName: 'longOffset',
  });
  const p = Object.fromEntries(f.formatToParts(new Date(t * 1000)).map((x) => [x.type, x.value]));
  const off = p.timeZoneName === 'GMT' ? '+00:00' : p.timeZoneName!.replace('GMT', '');
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}${zone === 'UTC' ? 'Z' : off}`;
}

test('localIso equals Intl over a year of instants in seven zones', () => {
  const zones = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Asia/Kathmandu', 'Australia/Adelaide', 'America/St_Johns'];
  let t = Date.UTC(2026, 0, 1) / 1000 + 7;
  const end = Date.UTC(2027, 0, 1) / 1000;
  let n = 0;
  while (t < end) {
    for (const z of zones) assert.equal(localIso(z, t), byIntl(z, t), `${z} at ${t}`);
    t += 3_607 * 5 + 13; // a step that walks through every minute and second over the year
    n++;
  }
  assert.ok(n > 400);
});
