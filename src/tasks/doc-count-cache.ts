/**
 * Document counts of data files, kept between processes. A run records how many documents its evaluated split
 * has (lm-eval's `n-samples.original`) before its first request; for a compressed file that means decoding all of
 * it (HellaSwag's 2 MB .bz2: 1.1 s of CPU), which `--limit 1` otherwise never reads past its first block.
 *
 * An entry is keyed on everything the count depends on: the file's path, size and modification time, its
 * spec in the dataset map (format, columns, unnest, where, ...), the variables its expressions see, and its labels
 * file's size and time. A missing, unreadable or foreign entry is a miss: the count is made and the entry written
 * again (`writeFileAtomic`: a reader never sees half a file). Writing is best effort.
 */
import { readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { fileStamps, writeFileAtomic } from "../core/files.ts";
import { hashOf, stableStringify } from "../core/hash.ts";
import type { ResolvedFile } from "./dataset.ts";

const VERSION = 1;

/** The entry's key, or undefined when a file it depends on cannot be read (then nothing is cached). */
export function docCountKey(rf: ResolvedFile, raw: boolean): string | undefined {
  const lf = rf.spec.labels_file;
  const labels = lf === undefined ? [] : [isAbsolute(lf) ? lf : join(rf.file, "..", lf)];
  const stamps = fileStamps([rf.file, ...labels]);
  if (stamps.some((st) => st[1] === null)) return undefined;
  return stableStringify({ v: VERSION, stamps, spec: rf.spec, vars: rf.vars ?? null, raw });
}

/** `count()`'s answer for `rf`, from `dir` when an entry with the same key is there. */
export async function cachedDocCount(
  dir: string | undefined,
  rf: ResolvedFile,
  raw: boolean,
  count: () => Promise<number>,
): Promise<number> {
  const key = dir === undefined ? undefined : docCountKey(rf, raw);
  if (dir === undefined || key === undefined) return count();
  const entry = join(dir, `${hashOf(key).slice(0, 32)}.json`);
  try {
    const e = JSON.parse(readFileSync(entry, "utf8")) as { key?: unknown; n?: unknown };
    if (e.key === key && typeof e.n === "number" && Number.isSafeInteger(e.n) && e.n >= 0) return e.n;
  } catch {
    // missing or unreadable: counted below
  }
  const n = await count();
  // The file may have changed while it was read: then the entry would describe neither version.
  if (docCountKey(rf, raw) !== key) return n;
  try {
    writeFileAtomic(entry, JSON.stringify({ key, n }));
  } catch {}
  return n;
}
