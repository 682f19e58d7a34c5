// What the store evaluates of a rule: its conditions compiled into one SQL condition, written once
// for DuckDB and ClickHouse 18.16 with sql`` and the dialect. The operators that reach outside the
// store (sha256, memberOf) are left to the engine (engine.ts), which applies them in TypeScript to
// the candidate rows this condition selects; so is `param`, which parses the cmdlet log's parameters
// (ops/param.ts), and which gives the store a condition the row must meet for it to hold (the
// parameter's name is in the text) so that only those rows are read.
import { recordTables } from '../../schema/tables.js';
import { fn } from '../../sql/dialect.js';
import { join, list, raw, sql, type Sql } from '../../sql/sql.js';
import { rowOperators, type Condition, type Rule } from './config.js';
import type { Field } from './fields.js';
import { fieldSql, sources } from './fields.js';

// What the two stores spell differently and dialect.ts does not have yet (candidates to move there):
/** x matches the RE2 pattern */
const regexMatch = (x: Sql, pattern: string) => fn((d) => (d.name === 'duckdb' ? sql`regexp_matches(${x}, ${pattern})` : sql`match(${x}, ${pattern})`));
/** the condition, false where it is NULL (a NULL field matches nothing, and its NOT nothing either) */
export const falseIfNull = (c: Sql) => fn((d) => (d.name === 'duckdb' ? sql`coalesce((${c}), FALSE)` : sql`coalesce((${c}), 0)`));
/** text x read as a number; NULL when it is not one */
const numberOrNull = (x: Sql) =>
  fn((d) => (d.name === 'duckdb' ? sql`TRY_CAST(${x} AS DOUBLE)` : sql`if(match(${x}, ${'^-?[0-9]+(\\.[0-9]+)?$'}), toFloat64OrZero(${x}), NULL)`));
const lowerFn = (x: Sql) => fn((d) => d.lower(x));
export const TRUE = fn((d) => raw(d.name === 'duckdb' ? 'TRUE' : '1'));
export const FALSE = fn((d) => raw(d.name === 'duckdb' ? 'FALSE' : '0'));

/** the column is stored lower case (schema/tables.ts `lower`): compare with the value lowered */
function storedLower(rule: Rule, f: Field): boolean {
  return !!recordTables[sources[rule.source].kind].columns.find((c) => c.name === f.column)?.lower;
}

/** a field as SQL, lower-cased for case-insensitive comparison when it is text */
function textSide(rule: Rule, f: Field): Sql {
  const col = fieldSql(f);
  return storedLower(rule, f) ? col : lowerFn(col);
}

/** wildcards (* any run, ? one character) as an RE2 pattern over the whole value */
export function wildcardPattern(v: string): string {
  return '^' + [...v.toLowerCase()].map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : /[\\^$.|?*+()[\]{}]/.test(ch) ? '\\' + ch : ch)).join('') + '$';
}

const sqlOps = { '==': '=', '!=': '<>', '<': '<', '<=': '<=', '>': '>', '>=': '>=' } as const;

/** one condition the store can evaluate, as SQL (NULL-safe: false where the field is NULL) */
export function conditionSql(rule: Rule, c: Condition): Sql {
  return falseIfNull(bareConditionSql(rule, c));
}

/** one condition the store can evaluate, as SQL: NULL where the field is NULL */
function bareConditionSql(rule: Rule, c: Condition): Sql {
  const f = c.field;
  const col = fieldSql(f);
  if (c.field2) {
    const op = raw(sqlOps[c.op as keyof typeof sqlOps]);
    if (f.type === 'number') return sql`${col} ${op} ${fieldSql(c.field2)}`;
    return sql`${textSide(rule, f)} ${op} ${textSide(rule, c.field2)}`;
  }
  const v = c.value!;
  switch (c.op) {
    case '==':
    case '!=':
    case '<':
    case '<=':
    case '>':
    case '>=': {
      const op = raw(sqlOps[c.op]);
      if (f.type === 'number') return sql`${col} ${op} ${v as number}`;
      if (typeof v === 'number') return sql`${numberOrNull(col)} ${op} ${v}`;
      if (f.type === 'time') return sql`${fn((d) => d.formatTime(col, '%Y-%m-%d %H:%M:%S'))} ${op} ${String(v)}`;
      if (c.op === '==' || c.op === '!=') return sql`${textSide(rule, f)} ${op} ${String(v).toLowerCase()}`;
      return sql`${col} ${op} ${v}`;
    }
    case 'in': {
      const values = v as readonly (string | number)[];
      if (f.type === 'number') return sql`${col} IN ${list(values as number[])}`;
      return sql`${textSide(rule, f)} IN ${list(values.map((x) => String(x).toLowerCase()))}`;
    }
    case 'matches':
      return regexMatch(f.type === 'text' ? col : fn((d) => d.toText(col)), String(v));
    case 'like':
      // a column stored lower case is matched as it is (lower() of it is itself, and costs a pass)
      return regexMatch(f.type === 'text' ? textSide(rule, f) : fn((d) => d.toText(col)), wildcardPattern(String(v)));
    default:
      throw new Error(`${c.op} is evaluated by the engine, not the store`);
  }
}

/** the engine applies the condition to each candidate row (config.ts rowOperators) */
export const isRowCondition = (c: Condition) => rowOperators.includes(c.op);

/** what the store can check of a param condition: one of its names is in the text (any case). It
 *  is a condition the row must meet, not the condition: the engine reads the parameters (a name
 *  inside another parameter's value is in the text too) */
function paramPrefilter(c: Condition): Sql {
  const names = c.param!.names.map((n) => n.toLowerCase().replace(/[\\^$.|?*+()[\]{}]/g, '\\$&'));
  return regexMatch(lowerFn(fieldSql(c.field)), names.join('|'));
}

/** the includes the store evaluates: its own, and the prefilter of each param */
function storeIncludes(rule: Rule): Sql[] {
  return rule.include.flatMap((c) => (c.op === 'param' ? [paramPrefilter(c)] : isRowCondition(c) ? [] : [bareConditionSql(rule, c)]));
}

/** the part of a rule the store evaluates: its includes that the store can evaluate (and the
 *  prefilter of its param includes), and not any
 *  of its excludes that the store can evaluate (excludes through the ports are the engine's); for a
 *  WHERE (or a count's condition) only: it may be NULL where a field is NULL, which a WHERE reads as
 *  false. The includes are left bare, so that the store can push them into its scan (DuckDB
 *  evaluates a bare comparison against the column's dictionary and zone maps, and the next
 *  condition only on the rows the first let through; coalesce() around each one stops both and
 *  took 3-4 of the 5 CPU-seconds of 20 rules over 10 M rows). An exclude is under NOT, where NULL
 *  must read as false: each keeps its coalesce (ClickHouse 18.16 gives NULL for NULL OR 1). */
export function ruleWhere(rule: Rule): Sql {
  const inc = storeIncludes(rule);
  const exc = rule.exclude.filter((c) => !isRowCondition(c)).map((c) => conditionSql(rule, c));
  const parts: Sql[] = [...inc];
  if (exc.length) parts.push(sql`NOT (${join(exc, ' OR ')})`);
  return parts.length ? sql`(${join(parts, ' AND ')})` : TRUE;
}

/** the same as a value: true or false, never NULL (for a row's flags, and under NOT) */
export function ruleSql(rule: Rule): Sql {
  return storeIncludes(rule).length ? falseIfNull(ruleWhere(rule)) : ruleWhere(rule);
}
