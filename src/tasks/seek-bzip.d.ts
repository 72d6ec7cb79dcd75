// seek-bzip ships no types. Besides `decode`, bzip2.ts drives the decoder's block loop (seek-bzip 2.0.0).
declare module "seek-bzip" {
  interface InputStream {
    readByte(): number;
    read(buf: Uint8Array, offset: number, length: number): number;
    seek(pos: number): void;
    eof(): boolean;
  }
  interface OutputStream {
    writeByte(byte: number): void;
  }
  class Bunzip {
    constructor(input: InputStream, output: OutputStream);
    static decode(input: Uint8Array, output?: Uint8Array): Buffer;
    readonly reader: { read(bits: number): number };
    readonly streamCRC: number;
    /** Reads the next block's header and tables; false at the end-of-stream marker. */
    _init_block(): boolean;
    /** Writes the current block's bytes to the output and checks the block CRC. */
    _read_bunzip(): number;
  }
  export default Bunzip;
}
