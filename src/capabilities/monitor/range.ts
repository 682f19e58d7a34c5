// Monitoring Plugins threshold ranges (the developer guidelines' "Threshold and ranges"):
//   10      alert when the value is < 0 or > 10
//   10:     alert when < 10
//   ~:10    alert when > 10 (no lower bound)
//   10:20   alert when < 10 or > 20
//   @10:20  alert when 10 ≤ value ≤ 20 (inside)
// Applied by `mxray check -w/-c` to the response time in seconds.

export interface Range {
  /** the text as given, for perfdata */
  readonly text: string;
  /** lower bound; -Infinity for `~` */
  readonly start: number;
  /** upper bound; Infinity when absent */
  readonly end: number;
  /** `@`: alert inside the range instead of outside */
  readonly inside: boolean;
}

export class RangeSyntaxError extends Error {
  override readonly name = 'RangeSyntaxError';
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

function bound(text: string, part: string, which: 'start' | 'end'): number {
  if (!NUMBER.test(part)) throw new RangeSyntaxError(`range "${text}": the ${which} "${part}" is not a number`);
  return Number(part);
}

/** parse `[@]start:end` as the Monitoring Plugins do; an error says which part is wrong */
export function parseRange(text: string): Range {
  const t = text.trim();
  if (t === '') throw new RangeSyntaxError('range is empty: expected e.g. 10, 10:, ~:10, 10:20 or @10:20');
  const inside = t.startsWith('@');
  const body = inside ? t.slice(1) : t;
  if (body === '') throw new RangeSyntaxError(`range "${text}": nothing after "@"`);
  const colon = body.indexOf(':');
  let start: number;
  let end: number;
  if (colon < 0) {
    start = 0;
    end = bound(text, body, 'end');
  } else {
    if (body.indexOf(':', colon + 1) >= 0) throw new RangeSyntaxError(`range "${text}": more than one ":"`);
    const s = body.slice(0, colon);
    const e = body.slice(colon + 1);
    if (s === '') throw new RangeSyntaxError(`range "${text}": nothing before ":" (use ~ for no lower bound, e.g. ~:${e || '10'})`);
    start = s === '~' ? -Infinity : bound(text, s, 'start');
    end = e === '' ? Infinity : bound(text, e, 'end');
  }
  if (start > end) throw new RangeSyntaxError(`range "${text}": the start ${start} is greater than the end ${end}`);
  return { text: t, start, end, inside };
}

/** true when `value` must raise the alert of this range */
export function alerts(range: Range, value: number): boolean {
  const within = value >= range.start && value <= range.end;
  return range.inside ? within : !within;
}
