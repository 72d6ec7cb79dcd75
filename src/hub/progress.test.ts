import assert from "node:assert/strict";
import { test } from "node:test";
import { createDownloadProgress, formatBytes } from "./progress.ts";

function sink(isTTY: boolean) {
  let text = "";
  return { write: (s: string) => (text += s), isTTY, text: () => text };
}

test("a terminal gets one bar redrawn in place, at most every interval, and a final line", () => {
  const out = sink(true);
  let t = 0;
  const p = createDownloadProgress(out, { now: () => t, intervalMs: 100 });
  const m = p.start("acme/quiz/test.parquet", 4 * 2 ** 20, 0);
  t = 50;
  m.advance(2 ** 20); // within the interval: not drawn
  assert.equal(out.text(), "");
  t = 1000;
  m.advance(2 ** 20);
  assert.equal(out.text(), "\r\x1b[2Kacme/quiz/test.parquet [############------------] 50% 2.0 MiB/4.0 MiB 2.0 MiB/s");
  t = 2000;
  m.advance(2 * 2 ** 20);
  m.end(true);
  assert.match(out.text(), /\r\x1b\[2Kacme\/quiz\/test\.parquet done \(4\.0 MiB in 2\.0 s\)\n$/);
});

test("elsewhere plain lines: a start line (saying where a resume starts), a line per interval, an end line", () => {
  const out = sink(false);
  let t = 0;
  const p = createDownloadProgress(out, { now: () => t, intervalMs: 5000 });
  const m = p.start("a/b/x.parquet", 1000, 400);
  t = 6000;
  m.advance(300);
  m.end(false);
  assert.equal(
    out.text(),
    [
      "download: a/b/x.parquet (1000 B, resuming at 400 B)",
      "download: a/b/x.parquet 70% 700 B/1000 B 50 B/s",
      "download: a/b/x.parquet stopped at 700 B",
      "",
    ].join("\n"),
  );
});

test("sizes", () => {
  assert.deepEqual([512, 1536, 5 * 2 ** 20, 3 * 2 ** 30].map(formatBytes), ["512 B", "1.5 KiB", "5.0 MiB", "3.00 GiB"]);
});
