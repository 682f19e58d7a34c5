// Backend-neutral assembly of the runaway-device answer from the three row sets every backend
// queries (periods over the threshold, device attributes, counts per command / HTTP status / error).
import type { EasRunawayDevice } from './types.js';

export interface RunawayPeriodRow { u: string; d: string; period: string; hits: number | string }
export interface RunawayAttrRow { u: string; d: string; deviceType: string | null; userAgent: string | null }
export interface RunawayCountRow { u: string; d: string; kind: string; k: string; n: number | string }

export function assembleRunaway(periods: readonly RunawayPeriodRow[], attrs: readonly RunawayAttrRow[], counts: readonly RunawayCountRow[]): EasRunawayDevice[] {
  const byKey = new Map<string, EasRunawayDevice>();
  const key = (u: string, d: string) => `${u}\u0000${d}`;
  for (const p of periods) {
    let dev = byKey.get(key(p.u, p.d));
    if (!dev) {
      dev = { user: p.u, deviceId: p.d, deviceType: '', userAgent: '', periods: [], commands: {}, httpStatus: {}, errors: {} };
      byKey.set(key(p.u, p.d), dev);
    }
    dev.periods.push({ period: p.period, hits: Number(p.hits) });
  }
  for (const a of attrs) {
    const dev = byKey.get(key(a.u, a.d));
    if (dev) { dev.deviceType = a.deviceType ?? ''; dev.userAgent = a.userAgent ?? ''; }
  }
  for (const c of counts) {
    const dev = byKey.get(key(c.u, c.d));
    if (dev) dev[c.kind === 'command' ? 'commands' : c.kind === 'httpStatus' ? 'httpStatus' : 'errors'][c.k] = Number(c.n);
  }
  for (const dev of byKey.values()) dev.periods.sort((a, b) => (a.period < b.period ? -1 : a.period > b.period ? 1 : 0));
  return [...byKey.values()];
}
