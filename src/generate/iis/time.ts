// Milliseconds per unit of time: the one place the generator's population and activity both read them
// (they lived in activity.ts, which made population.ts and activity.ts import each other).
export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
