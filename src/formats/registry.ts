// The one list of log formats. Sniffing, the ingest pipeline, the CLI's help and the tests all read
// this table; a new format is a folder under formats/ and one line here.
import type { Format } from './types.js';

export const formats = {
} satisfies Record<string, Format>;

export type FormatName = keyof typeof formats;
export const formatList: readonly Format[] = Object.values(formats);
