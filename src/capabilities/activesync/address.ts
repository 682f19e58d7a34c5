// Server addresses as the coverage rule (coverage.ts) compares them. IIS writes s-ip and c-ip as the
// socket saw them, and a 2013+ back end writes the front end that proxied a request in its Log=
// (`PrxFrom:10.0.1.21`, or URL-escaped `PrxFrom:fe80%3a%3a2063%3a…%2512` for the same host). One
// address has several spellings: upper or lower case hex, an IPv6 zone (`%12`: which interface, not
// which host), brackets, an IPv4 address written as IPv4-mapped IPv6 (`::ffff:10.0.1.21`). The
// normal form drops all of that, so that the spellings compare equal as text in SQL.

/** the normal form of an address as logged ('' for none or `-`) */
export function normalAddress(logged: string): string {
  let a = logged.trim().toLowerCase();
  if (a === '-' || a === '') return '';
  if (a.startsWith('[')) a = a.slice(1, a.indexOf(']') > 0 ? a.indexOf(']') : undefined);
  const zone = a.indexOf('%');
  if (zone > 0 && a.includes(':')) a = a.slice(0, zone);
  if (a.startsWith('::ffff:') && a.slice(7).includes('.')) a = a.slice(7);
  return a;
}

/** an address that names no particular host: loopback (127.0.0.0/8, ::1) or unspecified (0.0.0.0, ::) */
export function isLoopback(normal: string): boolean {
  return normal.startsWith('127.') || normal === '::1' || normal === '0.0.0.0' || normal === '::' || normal === '0:0:0:0:0:0:0:1';
}

/** an IPv6 link-local address (fe80::/10): reachable only on one link, so only this host's own
 *  front end proxies through it */
export function isLinkLocal(normal: string): boolean {
  return /^fe[89ab][0-9a-f]:/.test(normal);
}

/** The front end that proxied a back-end line, in normal form: the Log= value's PrxFrom (URL-decoded
 *  by the caller), else the line's c-ip. A loopback or unspecified address names this host: the
 *  line's own s-ip stands for it then. '' when none of them is logged. */
export function frontEndAddress(prxFrom: string | undefined, clientIp: string, serverIp: string): string {
  const fe = normalAddress(prxFrom ?? '') || normalAddress(clientIp);
  return fe !== '' && isLoopback(fe) ? normalAddress(serverIp) : fe;
}
