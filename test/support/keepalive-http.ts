/**
 * A lean HTTP/1.1 client for load generators: keep-alive connections over `node:net`, one request at a time per
 * connection (no pipelining), a new connection whenever none is idle. It does what `node:http`'s client does for a
 * load generator with less CPU: bench/label-load's load process, on the same two cores as the servers it measures,
 * spent 0.20-0.23 ms of CPU per vote with `http.request` and a keep-alive Agent, and 0.13-0.16 ms with this.
 *
 * Responses are framed by Content-Length or chunked transfer coding; anything else (a body read to the close, an
 * upgrade) is an error, as are malformed heads. A response that says `connection: close`, and a connection that
 * errs or closes mid-response, are not reused. Not a general client: no redirects, no compression, no 1xx, ASCII
 * header names and values.
 */
import { connect, type Socket } from "node:net";

export interface LeanResponse {
  status: number;
  /** Header names lower-cased; repeated headers (set-cookie) keep every value. */
  headers: Map<string, string[]>;
  body: string;
}

interface Pending {
  resolve: (r: LeanResponse) => void;
  reject: (e: Error) => void;
}

const CRLF2 = Buffer.from("\r\n\r\n");

interface Head {
  status: number;
  headers: Map<string, string[]>;
  bodyStart: number;
}

/** One connection: parses the response to the request in flight from the bytes as they come. */
class Conn {
  readonly socket: Socket;
  #pending: Pending | undefined;
  #buf: Buffer = Buffer.alloc(0);
  #head: Head | undefined;
  #chunks: Buffer[] = [];
  /** Chunked: the offset in #buf where the next chunk-size line starts. */
  #at = 0;
  keep = true;
  onIdle: (() => void) | undefined;

  constructor(host: string, port: number) {
    this.socket = connect({ host, port, noDelay: true });
    this.socket.on("data", (d: Buffer) => this.#data(d));
    this.socket.on("error", (e) => this.#fail(e));
    this.socket.on("close", () => this.#fail(new Error("connection closed before the response was complete")));
  }

  send(head: string, body: Buffer | undefined, p: Pending): void {
    this.#pending = p;
    this.socket.write(body ? Buffer.concat([Buffer.from(head, "latin1"), body]) : Buffer.from(head, "latin1"));
  }

  #fail(e: Error): void {
    this.keep = false;
    const p = this.#pending;
    this.#pending = undefined;
    p?.reject(e);
  }

  #data(d: Buffer): void {
    if (!this.#pending) {
      this.#fail(new Error("bytes from the server with no request in flight"));
      this.socket.destroy();
      return;
    }
    this.#buf = this.#buf.length === 0 ? d : Buffer.concat([this.#buf, d]);
    try {
      this.#parse();
    } catch (e) {
      this.#fail(e as Error);
      this.socket.destroy();
    }
  }

  #parse(): void {
    if (!this.#head) {
      const end = this.#buf.indexOf(CRLF2);
      if (end < 0) return;
      const lines = this.#buf.toString("latin1", 0, end).split("\r\n");
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "");
      if (!m) throw new Error(`not an HTTP/1.x status line: ${JSON.stringify(lines[0])}`);
      const headers = new Map<string, string[]>();
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(":");
        if (colon <= 0) throw new Error(`malformed header line: ${JSON.stringify(line)}`);
        const name = line.slice(0, colon).trim().toLowerCase();
        const list = headers.get(name);
        const value = line.slice(colon + 1).trim();
        if (list) list.push(value);
        else headers.set(name, [value]);
      }
      this.#head = { status: Number(m[1]), headers, bodyStart: end + 4 };
      this.#at = end + 4;
      if (headers.get("connection")?.[0]?.toLowerCase() === "close") this.keep = false;
    }
    const { headers, bodyStart } = this.#head;
    const length = headers.get("content-length")?.[0];
    if (length !== undefined) {
      const n = Number(length);
      if (!Number.isSafeInteger(n) || n < 0) throw new Error(`bad content-length ${JSON.stringify(length)}`);
      if (this.#buf.length < bodyStart + n) return;
      if (this.#buf.length > bodyStart + n) throw new Error("more bytes than the response's content-length");
      this.#done(this.#buf.subarray(bodyStart, bodyStart + n));
      return;
    }
    if (headers.get("transfer-encoding")?.[0]?.toLowerCase() !== "chunked")
      throw new Error("a response framed neither by content-length nor by chunked transfer coding");
    for (;;) {
      const eol = this.#buf.indexOf("\r\n", this.#at, "latin1");
      if (eol < 0) return;
      const size = Number.parseInt(this.#buf.toString("latin1", this.#at, eol).split(";")[0] as string, 16);
      if (!Number.isSafeInteger(size) || size < 0) throw new Error("bad chunk size");
      if (size === 0) {
        // The last chunk, then trailers (none expected) and the final CRLF.
        const end = this.#buf.indexOf(CRLF2, eol);
        if (end < 0) return;
        if (this.#buf.length > end + 4) throw new Error("more bytes after the last chunk");
        this.#done(Buffer.concat(this.#chunks));
        return;
      }
      if (this.#buf.length < eol + 2 + size + 2) return;
      this.#chunks.push(this.#buf.subarray(eol + 2, eol + 2 + size));
      this.#at = eol + 2 + size + 2;
    }
  }

  #done(body: Buffer): void {
    const head = this.#head as Head;
    const p = this.#pending as Pending;
    this.#pending = undefined;
    this.#head = undefined;
    this.#buf = Buffer.alloc(0);
    this.#chunks = [];
    this.#at = 0;
    if (!this.keep) this.socket.destroy();
    p.resolve({ status: head.status, headers: head.headers, body: body.toString("utf8") });
    if (this.keep) this.onIdle?.();
  }
}

/** Keep-alive connections to one origin (`http://host:port`). */
export class LeanClient {
  readonly #host: string;
  readonly #port: number;
  readonly #hostHeader: string;
  readonly #idle: Conn[] = [];
  readonly #all = new Set<Conn>();

  constructor(origin: URL) {
    if (origin.protocol !== "http:") throw new Error(`LeanClient speaks plain HTTP only, not ${origin.protocol}`);
    this.#host = origin.hostname;
    this.#port = Number(origin.port || 80);
    this.#hostHeader = origin.host;
  }

  request(method: string, path: string, headers: Record<string, string>, body?: string): Promise<LeanResponse> {
    const bytes = body === undefined ? undefined : Buffer.from(body, "utf8");
    let head = `${method} ${path} HTTP/1.1\r\nhost: ${this.#hostHeader}\r\n`;
    for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
    if (bytes) head += `content-length: ${bytes.length}\r\n`;
    head += "\r\n";
    return new Promise<LeanResponse>((resolve, reject) => {
      let conn = this.#idle.pop();
      while (conn && (!conn.keep || conn.socket.destroyed)) conn = this.#idle.pop();
      if (!conn) {
        const c = new Conn(this.#host, this.#port);
        c.onIdle = () => this.#idle.push(c);
        c.socket.on("close", () => this.#all.delete(c));
        this.#all.add(c);
        conn = c;
      }
      conn.send(head, bytes, { resolve, reject });
    });
  }

  /** Closes every connection; requests in flight fail. */
  close(): void {
    for (const c of this.#all) c.socket.destroy();
    this.#idle.length = 0;
  }
}
