// What the message-tracking queries (./queries.ts) answer, the same from every store.

/** one user's totals in a time range (the counting rules: ./queries.ts) */
export interface UserTotals {
  user: string;
  sent: number;
  received: number;
  sentBytes: number;
  receivedBytes: number;
}

/** one UTC day (YYYY-MM-DD) or hour (YYYY-MM-DDTHH) of traffic */
export interface TrafficRow {
  period: string;
  messages: number;
  bytes: number;
  deliveries: number;
}
