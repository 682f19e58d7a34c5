// The one place that rebuilds an iis_requests row's full cs-uri-query. The Log= value of an
// ActiveSync request is long (half of a 2013+ back-end line) and is stored once, in eas_log: the
// row's uri_query is the query with that value cut out and the parameter itself kept as `Log=`
// (schema/tables.ts). The parameter is the query's first one named `Log` in any case (name = the text
// before its first `=`, parameters separated by `&`), which is the one the IIS format reads; its
// value runs to the next `&`. Cutting it leaves that parameter the first `Log=` of uri_query, so
// putting eas_log back after it gives the query exactly as stored before (TsvWriter's rewriting of
// TAB/CR to a space included). Requests that are not ActiveSync (eas_log NULL) keep their whole query.
//
// The same rule in SQL (the DuckDB migration that moved older rows to this form): the cut is
// regexp_replace(uri_query, '(^|&)([Ll][Oo][Gg]=)[^&]*', '\1\2') on rows with eas_log <> ''.

const EQUALS = 61;

/** index in `query` where the value of its first `Log` parameter starts; -1 when it has none */
export function logValueAt(query: string): number {
  const n = query.length;
  let p = 0;
  while (p < n) {
    let amp = query.indexOf('&', p);
    if (amp < 0) amp = n;
    if (
      amp - p >= 4 &&
      query.charCodeAt(p + 3) === EQUALS &&
      (query.charCodeAt(p) | 0x20) === 108 &&
      (query.charCodeAt(p + 1) | 0x20) === 111 &&
      (query.charCodeAt(p + 2) | 0x20) === 103
    )
      return p + 4;
    p = amp + 1;
  }
  return -1;
}

/** the value range [start, end) of the query's first `Log` parameter; undefined when it has none */
export function logValueRange(query: string): [number, number] | undefined {
  const at = logValueAt(query);
  if (at < 0) return undefined;
  const amp = query.indexOf('&', at);
  return [at, amp < 0 ? query.length : amp];
}

/** the full query of a row: uri_query with eas_log put back (NULL or empty eas_log: uri_query) */
export function fullUriQuery(uriQuery: string | null, easLog: string | null): string | null {
  if (uriQuery === null || !easLog) return uriQuery;
  const at = logValueAt(uriQuery);
  if (at < 0) return uriQuery; // not written by this rule (cannot happen for rows the IIS format wrote)
  return uriQuery.slice(0, at) + easLog + uriQuery.slice(at);
}

/** the stored form of an ActiveSync request's query: its first Log= value cut out */
export function cutLogValue(query: string): string {
  const r = logValueRange(query);
  return r ? query.slice(0, r[0]) + query.slice(r[1]) : query;
}
