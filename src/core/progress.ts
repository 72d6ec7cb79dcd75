/**
 * The progress contract every long-running service reports through (the implementation, a bar or plain lines,
 * is the CLI's: runner/progress.ts). It lives here so that any room can take a sink without importing the
 * harness.
 */
export interface ProgressSink {
  /** A new phase of `total` items; `label` names it in every line. */
  start(total: number, label?: string): void;
  update(done: number, errors: number): void;
  finish(done: number, errors: number): void;
}
