// Header -> column positions, for formats that describe their own columns (#Fields:, CSV headers).
// A format lists, as data, the header name of each value its rows need; mapColumns() finds them in
// a file's header (names compared trimmed and case-insensitively; -1 when the header lacks one).

export type ColumnNames<K extends string> = Readonly<Record<K, string>>;

export type ColumnMap<K extends string> = Readonly<Record<K, number>> & {
  /** the header's names as written */
  readonly header: readonly string[];
  /** the same, trimmed and lower-cased */
  readonly names: readonly string[];
  readonly count: number;
  /** line of the header that declared them; 0 when assumed (positional or inferred) */
  readonly line: number;
};

export function mapColumns<K extends string>(header: readonly string[], wanted: ColumnNames<K>, line: number): ColumnMap<K> {
  const names = header.map((n) => n.trim().toLowerCase());
  const map: Record<string, unknown> = { header, names, count: names.length, line };
  for (const key of Object.keys(wanted) as K[]) map[key] = names.indexOf(wanted[key].toLowerCase());
  return map as ColumnMap<K>;
}
