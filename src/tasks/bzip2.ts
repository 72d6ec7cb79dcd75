/**
 * bzip2 decoded one block (900 kB of text at most) at a time, so that a reader which stops early (`--limit`)
 * decodes only the blocks it reads: `eval --limit 1` on HellaSwag's 2 MB .bz2 decoded all 7.8 MB before its
 * first document. This is seek-bzip's own `Bunzip.decode` loop with a yield after each block, driving the
 * decoder's block methods (seek-bzip is pinned; `bzip2.test.ts` checks the output against `Bunzip.decode`);
 * block and stream CRCs are checked as there, and, as there, only the first stream of a multi-stream file is read.
 */
import Bunzip from "seek-bzip";

class Output {
  buffer = Buffer.allocUnsafe(1 << 20);
  pos = 0;
  writeByte(byte: number): void {
    if (this.pos >= this.buffer.length) {
      const grown = Buffer.allocUnsafe(this.buffer.length * 2);
      this.buffer.copy(grown);
      this.buffer = grown;
    }
    this.buffer[this.pos++] = byte;
  }
  /** The bytes written since the last take. */
  take(): Buffer {
    const out = Buffer.from(this.buffer.subarray(0, this.pos));
    this.pos = 0;
    return out;
  }
}

/** Yields the decoded bytes of each block in turn. Throws seek-bzip's errors (bad magic, bad CRC) as it does. */
export function* bunzipBlocks(raw: Uint8Array): Generator<Buffer> {
  let pos = 0;
  const input = {
    readByte: () => (pos < raw.length ? (raw[pos++] as number) : -1),
    read(buf: Uint8Array, offset: number, length: number): number {
      const n = Math.min(length, raw.length - pos);
      if (n <= 0) return -1;
      buf.set(raw.subarray(pos, pos + n), offset);
      pos += n;
      return n;
    },
    seek: (p: number) => {
      pos = p;
    },
    eof: () => pos >= raw.length,
  };
  const output = new Output();
  const bz = new Bunzip(input, output);
  while (!input.eof()) {
    if (!bz._init_block()) {
      const target = bz.reader.read(32) >>> 0;
      if (target !== bz.streamCRC)
        throw new TypeError(`Bad stream CRC (got ${bz.streamCRC.toString(16)} expected ${target.toString(16)})`);
      return;
    }
    bz._read_bunzip();
    yield output.take();
  }
}
