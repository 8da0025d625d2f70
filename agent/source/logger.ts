// The slice of pino's logger the source needs. pino's `Logger` satisfies it structurally, so
// main.ts passes `root.child({ component: 'source' })` and tests pass a recording fake, which
// agent/log's full pino Logger type would not let them do.

export type LogFn = (obj: Record<string, unknown>, msg: string) => void;

export interface Logger {
  readonly debug: LogFn;
  readonly info: LogFn;
  readonly warn: LogFn;
  readonly error: LogFn;
  child(bindings: Record<string, unknown>): Logger;
}
