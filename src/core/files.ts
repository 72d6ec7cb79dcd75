/**
 * Reading a file the user named. Node's own errors name neither the file nor what to do ("EISDIR: illegal
 * operation on a directory, read"), and readFileSync(f, "utf8") turns invalid bytes into U+FFFD silently, so a
 * binary file or a Latin-1 dataset reached the parsers as garbage. Here every failure is a ModelmapError naming
 * the file, and text must be UTF-8 (a BOM is dropped).
 */
import {
  accessSync,
  constants,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  type Stats,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname } from "node:path";
import { ModelmapError } from "./errors.ts";

const fatalUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** The ModelmapError for a failed read of `file` (what: "config file", "dataset", ...). */
export function fileError(e: unknown, file: string, what = "file"): ModelmapError {
  const code = (e as NodeJS.ErrnoException).code;
  const location = { file };
  switch (code) {
    case "ENOENT":
      return new ModelmapError("not_found", `${what} not found`, { location, cause: e });
    case "EISDIR":
      return new ModelmapError("input", `${what} is a directory, expected a file`, { location, cause: e });
    case "ENOTDIR":
      return new ModelmapError("input", `${what} path goes through a file as if it were a directory`, {
        location,
        cause: e,
      });
    case "EACCES":
    case "EPERM":
      return new ModelmapError("input", `${what} cannot be read (permission denied)`, { location, cause: e });
    default:
      return new ModelmapError("input", `cannot read ${what}: ${(e as Error).message}`, { location, cause: e });
  }
}

/** A file's stats, refusing a directory; errors name the file. */
export function statUserFile(file: string, what = "file"): Stats {
  let st: Stats;
  try {
    st = statSync(file);
  } catch (e) {
    throw fileError(e, file, what);
  }
  if (st.isDirectory())
    throw new ModelmapError("input", `${what} is a directory, expected a file`, { location: { file } });
  return st;
}

/** Reads a file's bytes; errors name the file. */
export function readUserBytes(file: string, what = "file"): Buffer {
  try {
    if (statSync(file).isDirectory())
      throw new ModelmapError("input", `${what} is a directory, expected a file`, { location: { file } });
    return readFileSync(file);
  } catch (e) {
    if (e instanceof ModelmapError) throw e;
    throw fileError(e, file, what);
  }
}

/** Decodes UTF-8 strictly; the error names the line and byte of the first invalid sequence. */
export function decodeUtf8(bytes: Uint8Array, file: string, what = "file"): string {
  try {
    return fatalUtf8.decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    let line = 1;
    for (let i = 0; i < at; i++) if (bytes[i] === 0x0a) line++;
    throw new ModelmapError("input", `${what} is not UTF-8 text (invalid byte 0x${hex(bytes[at])} at offset ${at})`, {
      location: { file, line },
      hint: "save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)",
    });
  }
}

/** Reads a UTF-8 text file the user named; errors name the file (and the line of an invalid byte). */
export function readUserText(file: string, what = "file"): string {
  return decodeUtf8(readUserBytes(file, what), file, what);
}

function hex(b: number | undefined): string {
  return (b ?? 0).toString(16).padStart(2, "0");
}

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence. */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i] as number;
    let n = 0;
    let min = 0;
    if (c < 0x80) {
      i++;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      n = 1;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      min = 0x10000;
    } else return i;
    let cp = c & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const x = b[i + k];
      if (x === undefined || (x & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (x & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return b.length;
}

/**
 * Checks, before any work, that `dir` is or can become a directory (flag: the option that named it): a file in
 * its place, or a file among its parents, used to fail with a raw ENOTDIR after the model had loaded.
 */
export function checkOutputDir(dir: string, flag: string): void {
  const where = { file: dir, field: flag };
  let p = dir;
  for (;;) {
    let st: Stats | undefined;
    try {
      st = statSync(p);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOTDIR")
        throw new ModelmapError("usage", `${flag}: a part of the path is a file, not a directory`, { location: where });
      if (code !== "ENOENT") throw fileError(e, dir, `${flag} directory`);
    }
    if (st) {
      if (!st.isDirectory())
        throw new ModelmapError(
          "usage",
          p === dir ? `${flag}: is a file, expected a directory` : `${flag}: ${p} is a file, not a directory`,
          { location: where },
        );
      try {
        accessSync(p, constants.W_OK);
      } catch {
        throw new ModelmapError("usage", `${flag}: ${p} is not writable`, { location: where });
      }
      return;
    }
    const up = dirname(p);
    if (up === p) return;
    p = up;
  }
}

/** Checks that `file` can be written (not a directory, its directory exists or can be made). */
export function checkOutputFile(file: string, flag: string): void {
  try {
    if (statSync(file).isDirectory())
      throw new ModelmapError("usage", `${flag}: is a directory, expected a file`, {
        location: { file, field: flag },
      });
  } catch (e) {
    if (e instanceof ModelmapError) throw e;
  }
  checkOutputDir(dirname(file), flag);
}

/** Writes a file the user named (flag: the option that named it); errors name the file and the option. */
export function writeUserFile(file: string, data: string | Uint8Array, flag: string): void {
  checkOutputFile(file, flag);
  try {
    writeFileSync(file, data);
  } catch (e) {
    throw new ModelmapError("usage", `${flag}: cannot write the file: ${(e as Error).message}`, {
      location: { file, field: flag },
      cause: e,
    });
  }
}

/**
 * Writes `data` to `file` through a temporary file in the same folder and a rename, creating the folder: a reader
 * sees the old content or the new, never half. Throws Node's error (the temporary file removed) when it cannot.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Size and modification time of each file (null when it is missing): what says a file changed without reading it. */
export function fileStamps(files: readonly string[]): Array<[string, number, number] | [string, null]> {
  return files.map((f) => {
    try {
      const st = statSync(f);
      return [f, st.size, st.mtimeMs];
    } catch {
      return [f, null];
    }
  });
}
