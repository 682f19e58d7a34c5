// The usage error, in a module of its own that imports nothing: main.ts needs it before it knows which
// command runs, and loading common.ts (the store, DuckDB's native module) for it would cost every
// command the start-up time of the heaviest.

/** an error in what the user asked for: printed without a stack, exit code 2 */
export class UsageError extends Error {}
