import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { ModelmapError } from "./errors.ts";
import { checkOutputDir, firstInvalidUtf8, readUserText } from "./files.ts";
import { textDefect } from "./text.ts";

const dir = mkdtempSync(join(tmpdir(), "modelmap-files-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function err(f: () => unknown): ModelmapError {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof ModelmapError, String(e));
    return e;
  }
  assert.fail("expected an error");
}

test("reading a user file: a directory, a missing file and invalid UTF-8 are errors naming the file (and line)", () => {
  mkdirSync(join(dir, "d.yaml"));
  const a = err(() => readUserText(join(dir, "d.yaml"), "config file"));
  assert.equal(a.code, "input");
  assert.match(a.message, /d\.yaml: config file is a directory/);
  const b = err(() => readUserText(join(dir, "nope.yaml")));
  assert.equal(b.code, "not_found");
  assert.equal(b.location?.file, join(dir, "nope.yaml"));
  writeFileSync(join(dir, "latin1.txt"), Buffer.concat([Buffer.from("ok\nstill ok\ncaf"), Buffer.from([0xe9, 0x0a])]));
  const c = err(() => readUserText(join(dir, "latin1.txt")));
  assert.equal(c.location?.line, 3);
  assert.match(c.message, /not UTF-8 text \(invalid byte 0xe9 at offset 15\)/);
  writeFileSync(join(dir, "bom.txt"), "\uFEFFhello");
  assert.equal(readUserText(join(dir, "bom.txt")), "hello");
});

test("firstInvalidUtf8 finds overlong forms, surrogates and truncated sequences", () => {
  assert.equal(firstInvalidUtf8(Buffer.from("héllo ✓ 😀")), Buffer.byteLength("héllo ✓ 😀"));
  assert.equal(firstInvalidUtf8(Buffer.from([0x61, 0xc0, 0xaf])), 1); // overlong '/'
  assert.equal(firstInvalidUtf8(Buffer.from([0x61, 0xed, 0xa0, 0x80])), 1); // encoded U+D800
  assert.equal(firstInvalidUtf8(Buffer.from([0x61, 0x62, 0xe2, 0x9c])), 2); // cut short
  assert.equal(firstInvalidUtf8(Buffer.from([0xff])), 0);
});

test("an output directory that is a file, or lies under one, is refused before any work", () => {
  writeFileSync(join(dir, "out.txt"), "x");
  assert.match(err(() => checkOutputDir(join(dir, "out.txt"), "--output")).message, /--output: is a file/);
  assert.match(
    err(() => checkOutputDir(join(dir, "out.txt", "sub"), "--output")).message,
    /a part of the path is a file|is a file, not a directory/,
  );
  assert.doesNotThrow(() => checkOutputDir(join(dir, "fresh", "deeper"), "--output"));
});

test("text defects: lone surrogates and control characters in names, only NUL and surrogates in prose", () => {
  assert.equal(textDefect("llama-3.1-8b ✓ 😀"), undefined);
  assert.match(textDefect("bad\ud800") ?? "", /lone surrogate/);
  assert.match(textDefect("\udc00x") ?? "", /lone surrogate/);
  assert.match(textDefect("a\u0000b") ?? "", /U\+0000/);
  assert.match(textDefect("a\u001b[31m") ?? "", /U\+001B/);
  assert.equal(textDefect("line one\n\tline two\u001b[0m", { prose: true }), undefined);
  assert.match(textDefect("a\u0000b", { prose: true }) ?? "", /U\+0000/);
});
