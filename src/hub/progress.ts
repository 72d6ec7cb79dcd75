/**
 * Download progress for the command line: a bar redrawn in place on a terminal, plain lines otherwise (a start
 * line, one every few seconds, an end line), on the stream the CLI hands in.
 */
import type { DownloadMeter, DownloadProgress } from "./download.ts";

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 2 ** 20) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 2 ** 30) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  return `${(n / 2 ** 30).toFixed(2)} GiB`;
}

export function createDownloadProgress(
  out: { write(s: string): unknown; isTTY?: boolean },
  opts: { intervalMs?: number; now?: () => number } = {},
): DownloadProgress {
  const now = opts.now ?? (() => performance.now());
  const tty = out.isTTY === true;
  const interval = opts.intervalMs ?? (tty ? 100 : 5000);
  return {
    start(label, total, resumedFrom): DownloadMeter {
      const t0 = now();
      let done = resumedFrom;
      let last = t0;
      const size = total === undefined ? "size unknown" : formatBytes(total);
      const status = () => {
        const s = Math.max(1e-3, (now() - t0) / 1000);
        const rate = `${formatBytes(Math.round((done - resumedFrom) / s))}/s`;
        if (total === undefined || total === 0) return `${formatBytes(done)} ${rate}`;
        const frac = Math.min(1, done / total);
        const bar = tty ? `[${"#".repeat(Math.round(frac * 24)).padEnd(24, "-")}] ` : "";
        return `${bar}${(100 * frac).toFixed(0)}% ${formatBytes(done)}/${formatBytes(total)} ${rate}`;
      };
      if (!tty)
        out.write(
          `download: ${label} (${size}${resumedFrom > 0 ? `, resuming at ${formatBytes(resumedFrom)}` : ""})\n`,
        );
      return {
        advance(bytes) {
          done += bytes;
          const t = now();
          if (t - last < interval) return;
          last = t;
          if (tty) out.write(`\r\x1b[2K${label} ${status()}`);
          else out.write(`download: ${label} ${status()}\n`);
        },
        end(ok) {
          const secs = ((now() - t0) / 1000).toFixed(1);
          const line = ok
            ? `${label} done (${formatBytes(done)} in ${secs} s)`
            : `${label} stopped at ${formatBytes(done)}`;
          if (tty) out.write(`\r\x1b[2K${line}\n`);
          else out.write(`download: ${line}\n`);
        },
      };
    },
  };
}
