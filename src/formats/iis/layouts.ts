// IIS W3C field layouts as data. The parser maps columns from the file's own #Fields header by
// name; the default layouts below are only used for lines that come before any header (excerpts
// cut out of a log), and only when the line has their field count AND their shape.

/** the W3C field names the iis_requests row reads (lower case; IIS writes them in this case) */
export const fieldNames = {
  date: 'date',
  time: 'time',
  site: 's-sitename',
  computer: 's-computername',
  host: 'cs-host',
  serverIp: 's-ip',
  method: 'cs-method',
  stem: 'cs-uri-stem',
  query: 'cs-uri-query',
  port: 's-port',
  user: 'cs-username',
  clientIp: 'c-ip',
  userAgent: 'cs(user-agent)',
  status: 'sc-status',
  substatus: 'sc-substatus',
  win32: 'sc-win32-status',
  scBytes: 'sc-bytes',
  csBytes: 'cs-bytes',
  timeTaken: 'time-taken',
} as const;

export type FieldKey = keyof typeof fieldNames;

export interface DefaultLayout {
  readonly name: string;
  readonly names: readonly string[];
  /** index of the field that must be W3SVCn in a line of this layout (IIS 6 logs the site) */
  readonly siteAt?: number;
}

/** The layouts IIS writes when nobody changed the logging settings. IIS 7.5 to 10 (Exchange
 *  2010–SE) log these 15 fields; the header of the m365internals sample in the corpus is this list.
 *  IIS 6.0 (Exchange 2003) logs 14, with the site name and without time-taken. */
export const defaultLayouts: readonly DefaultLayout[] = [
  {
    name: 'IIS 7.5–10 default',
    names: [
      'date',
      'time',
      's-ip',
      'cs-method',
      'cs-uri-stem',
      'cs-uri-query',
      's-port',
      'cs-username',
      'c-ip',
      'cs(User-Agent)',
      'cs(Referer)',
      'sc-status',
      'sc-substatus',
      'sc-win32-status',
      'time-taken',
    ],
  },
  {
    name: 'IIS 6.0 default',
    names: [
      'date',
      'time',
      's-sitename',
      's-ip',
      'cs-method',
      'cs-uri-stem',
      'cs-uri-query',
      's-port',
      'cs-username',
      'c-ip',
      'cs(User-Agent)',
      'sc-status',
      'sc-substatus',
      'sc-win32-status',
    ],
    siteAt: 2,
  },
];
