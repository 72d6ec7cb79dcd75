/**
 * Progress: a one-line bar redrawn in place on a terminal (done/total, items/s, ETA, errors), plain lines at
 * most every few seconds otherwise (logs and CI). One sink serves a command's successive phases: each `start`
 * names its phase ("zoo-facts: contamination"), which prefixes its lines. The CLI shell builds the sink (it
 * knows the terminal and `--quiet`); services only call it.
 */
import type { ProgressSink } from "../core/progress.ts";

export type { ProgressSink };

function fmtTime(s: number): string {
  if (!Number.isFinite(s) || s < 0) return "--:--";
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  return h > 0
    ? `${h}:${String(m).padStart(2, "0")}:${String(sec).padStart(2, "0")}`
    : `${m}:${String(sec).padStart(2, "0")}`;
}

export function progressLine(done: number, total: number, errors: number, elapsedS: number, width = 24): string {
  const rate = elapsedS > 0 ? done / elapsedS : 0;
  const eta = rate > 0 ? (total - done) / rate : Number.NaN;
  const frac = total > 0 ? Math.min(1, done / total) : 1;
  const fill = Math.round(frac * width);
  return `[${"#".repeat(fill)}${"-".repeat(width - fill)}] ${done}/${total} ${(frac * 100).toFixed(1)}% ${rate.toFixed(1)} items/s ETA ${fmtTime(eta)} errors ${errors}`;
}

export function createProgress(
  out: { write(s: string): unknown; isTTY?: boolean },
  opts: { intervalMs?: number; now?: () => number } = {},
): ProgressSink {
  const now = opts.now ?? (() => performance.now());
  const tty = out.isTTY === true;
  const interval = opts.intervalMs ?? (tty ? 100 : 5000);
  let total = 0;
  let label = "";
  let t0 = 0;
  let last = -Infinity;
  const draw = (done: number, errors: number, final: boolean) => {
    const t = now();
    if (!final && t - last < interval) return;
    last = t;
    const line = `${label ? `${label} ` : ""}${progressLine(done, total, errors, (t - t0) / 1000)}`;
    if (tty) out.write(`\r\x1b[2K${line}${final ? "\n" : ""}`);
    else out.write(`progress: ${line}\n`);
  };
  return {
    start(n, name) {
      total = n;
      label = name ?? "";
      t0 = now();
      last = -Infinity;
    },
    update(done, errors) {
      draw(done, errors, false);
    },
    finish(done, errors) {
      draw(done, errors, true);
    },
  };
}

export const SILENT_PROGRESS: ProgressSink = { start() {}, update() {}, finish() {} };

/**
 * Adapts a sink to the `onProgress(done, total, errors)` callbacks of the judge and answer services: the first
 * call starts the phase, the last (done = total) finishes it.
 */
export function progressCallback(
  sink: ProgressSink,
  label: string,
): (done: number, total: number, errors?: number) => void {
  let started = false;
  return (done, total, errors = 0) => {
    if (!started) {
      sink.start(total, label);
      started = true;
    }
    if (done >= total) sink.finish(done, errors);
    else sink.update(done, errors);
  };
}

/** The sink with a fixed phase name, for services that start their phase without one (the harness). */
export function withLabel(sink: ProgressSink, label: string): ProgressSink {
  return {
    start: (total) => sink.start(total, label),
    update: (done, errors) => sink.update(done, errors),
    finish: (done, errors) => sink.finish(done, errors),
  };
}
