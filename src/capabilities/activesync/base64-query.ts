// Base64-encoded ActiveSync query strings (MS-ASHTTP 2.2.1.1.1.1, protocol 12.1+): instead of
// `Cmd=Sync&User=…&DeviceId=…&DeviceType=…`, some devices (Windows Phone, Outlook apps) send one
// base64 blob:
//   protocol version (1 byte: 140 = 14.0), command code (1 byte), locale (2 bytes, LE),
//   device id length + device id, policy key length (0 or 4) + policy key (uint32 LE),
//   device type length + device type, then parameters: tag (1 byte), length (1 byte), value.
// Example (a Z-Push log): jAAHBBA1CAgTZZL7fFvyJQYWzfb8BPtkyS4DV1A4 = 14.0, Sync, locale 1031,
// device 350808136592FB7C5BF2250616CDF6FC, policy key 784950523, device type WP8.
import { commandCodes } from './elements.js';

export interface Base64Request {
  /** MS-ASProtocolVersion as a number: 140 */
  protocol: number;
  /** command name (commandCodes), or `code N` for a code we do not know */
  command: string;
  locale: number;
  /** the device id as text when it is printable ASCII, else upper-case hex */
  deviceId: string;
  policyKey?: number;
  deviceType: string;
  /** the User parameter (tag 8), when present */
  user?: string;
}

/** parameter tags (MS-ASHTTP 2.2.1.1.1.1.3) */
const TAG_USER = 8;

const b64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Decodes the blob (URL-decoded already: %2B %2F %3D undone); undefined when it is not a valid
 *  base64 request: every length must fit and the parameters must end exactly at the end. */
export function decodeBase64Query(text: string): Base64Request | undefined {
  if (text.length < 12 || text.length % 4 === 1 || !b64.test(text)) return undefined;
  const b = Buffer.from(text, 'base64');
  if (b.length < 8) return undefined;
  const protocol = b[0]!,
    code = b[1]!;
  if (protocol < 10 || protocol > 200) return undefined;
  const locale = b[2]! | (b[3]! << 8);
  let p = 4;
  const idLen = b[p++]!;
  if (p + idLen > b.length) return undefined;
  const id = b.subarray(p, p + idLen);
  p += idLen;
  const pkLen = b[p++];
  if (pkLen === undefined || (pkLen !== 0 && pkLen !== 4) || p + pkLen > b.length) return undefined;
  const policyKey = pkLen === 4 ? b.readUInt32LE(p) : undefined;
  p += pkLen;
  const typeLen = b[p++];
  if (typeLen === undefined || p + typeLen > b.length) return undefined;
  const deviceType = b.toString('latin1', p, p + typeLen);
  p += typeLen;
  let user: string | undefined;
  while (p < b.length) {
    if (p + 2 > b.length) return undefined;
    const tag = b[p]!,
      len = b[p + 1]!;
    p += 2;
    if (p + len > b.length) return undefined;
    if (tag === TAG_USER) user = b.toString('utf8', p, p + len);
    p += len;
  }
  const printable = id.length > 0 && id.every((c) => c > 32 && c < 127);
  return {
    protocol,
    command: commandCodes[code] ?? `code ${code}`,
    locale,
    deviceId: printable ? id.toString('latin1') : id.toString('hex').toUpperCase(),
    ...(policyKey !== undefined ? { policyKey } : {}),
    deviceType,
    ...(user !== undefined ? { user } : {}),
  };
}
