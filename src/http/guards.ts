/**
 * The two guards every request of the HTTP room passes before any route sees it (`createApp` installs them
 * first, so no module and no unknown path can skip them): the body-size limit and the origin policy.
 */
import type { Context, MiddlewareHandler } from "hono";
import { ModelmapError } from "../core/errors.ts";

/** `modelmap serve`'s limit: its largest body is a campaign definition with a gold list. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** How long the rest of a refused body is read and dropped before the connection is cut. */
const LINGER_MS = 2000;

/** What of node's request the limit needs (hono's node adapter passes it as `c.env.incoming`). */
interface NodeIncoming {
  complete: boolean;
  resume(): void;
  once(event: "end", f: () => void): void;
  socket?: { destroy(): void } | null;
}

/**
 * Refuses the request. The answer goes out before the body is read; the rest of the body is then read and
 * dropped, never kept, for at most LINGER_MS, and the connection is cut if it has not ended by then. Cutting at
 * once with bytes still arriving makes the kernel reset the connection, and a client still writing would lose
 * the answer with it (what web servers call a lingering close).
 */
function tooLarge(c: Context, maxBytes: number, reader?: ReadableStreamDefaultReader<Uint8Array>): never {
  const incoming = (c.env as { incoming?: NodeIncoming } | undefined)?.incoming;
  if (incoming && !incoming.complete) {
    const cut = setTimeout(() => incoming.socket?.destroy(), LINGER_MS);
    cut.unref();
    // A body the adapter already turned into a stream is drained through it (resuming the node stream under
    // it would fill the stream's queue instead); a GET's body has no stream.
    const body = reader ?? c.req.raw.body?.getReader();
    if (body) {
      void (async () => {
        try {
          while (!(await body.read()).done) {}
        } catch {
          // cut: nothing more to drop
        } finally {
          clearTimeout(cut);
        }
      })();
    } else {
      incoming.resume();
      incoming.once("end", () => clearTimeout(cut));
    }
  }
  throw new ModelmapError("too_large", `request body over the limit of ${maxBytes} bytes`);
}

/**
 * Refuses a body over `maxBytes` with 413. A declared Content-Length over the limit is refused before a byte of
 * the body is read; a body without one (chunked) is read up to the limit and refused there. Under the limit the
 * body reaches the route unchanged (a chunked one as the bytes read). Either way no more than `maxBytes` of a
 * body is ever held in memory.
 */
export function bodyLimit(maxBytes: number): MiddlewareHandler {
  return async (c, next) => {
    const declared = c.req.header("content-length");
    const chunked = c.req.header("transfer-encoding") !== undefined;
    if (declared !== undefined && !chunked) {
      if (!/^\d+$/.test(declared.trim())) throw new ModelmapError("input", "Content-Length is not a number");
      if (Number(declared) > maxBytes) tooLarge(c, maxBytes);
      return next();
    }
    const body = chunked ? c.req.raw.body : null;
    if (!body) return next();
    const reader = body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) tooLarge(c, maxBytes, reader);
      chunks.push(value);
    }
    c.req.raw = new Request(c.req.raw, { body: Buffer.concat(chunks, size) });
    return next();
  };
}

const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "[::1]"];

function isLoopback(address: string): boolean {
  return address === "::1" || address.startsWith("127.") || address === "localhost";
}

/** `host[:port]` split, the name lower-cased (brackets kept on IPv6), the port "" when none; undefined when it is no bare host. */
function splitHost(host: string): { name: string; port: string } | undefined {
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/i.exec(host.trim());
  if (!m) return undefined;
  return { name: (m[1] as string).toLowerCase(), port: m[2] === "80" ? "" : (m[2] ?? "") };
}

/** An allowed origin as given (`--allowed-origin`): scheme, host and port, nothing else. */
export function parseAllowedOrigin(origin: string): string {
  let u: URL;
  try {
    u = new URL(origin);
  } catch {
    throw new ModelmapError("usage", `--allowed-origin: '${origin}' is not a URL`, {
      hint: "give an origin such as https://models.example.com or http://myhost.lan:8787",
    });
  }
  if (
    (u.protocol !== "http:" && u.protocol !== "https:") ||
    u.username ||
    u.password ||
    u.pathname.length > 1 ||
    u.search ||
    u.hash
  )
    throw new ModelmapError(
      "usage",
      `--allowed-origin: '${origin}' is not an http(s) origin (scheme://host[:port] only)`,
    );
  return u.origin;
}

/** The address a request came in on: the server's own socket, never anything the client sent. */
function localAddress(c: Context): { address: string; port: string } | undefined {
  const env = c.env as { incoming?: { socket?: { localAddress?: string; localPort?: number } } } | undefined;
  const s = env?.incoming?.socket;
  if (!s?.localAddress || s.localPort === undefined) return undefined;
  return { address: s.localAddress.replace(/^::ffff:/, ""), port: String(s.localPort) };
}

export interface OriginPolicyOptions {
  /** Origins besides the listen address that pages may be served under (a proxy's name, a LAN host name). */
  allowedOrigins?: string[];
}

/**
 * Host and Origin checks against DNS rebinding and cross-site requests. The hosts a request may name are
 * derived from the address the server listens on (the socket's local address and port: for a loopback
 * listener, `localhost`, `127.0.0.1` and `[::1]` on that port; otherwise that address) plus the hosts of the
 * configured `allowedOrigins`, never from the request's own Host. A request naming another Host is refused,
 * and so is one whose Origin (when the browser sends one) is neither `http://` an allowed host nor a
 * configured origin. A request without a Host (HTTP/1.0, or in-process `app.request`) cannot come from a
 * rebound browser page and passes the Host check; without a socket, loopback names on any port are allowed.
 */
export function originPolicy(opts: OriginPolicyOptions = {}): MiddlewareHandler {
  const extraOrigins = new Set((opts.allowedOrigins ?? []).map(parseAllowedOrigin));
  // A proxy passes the Host its client used: without a port for the scheme's default one.
  const extraHosts = new Set(
    [...extraOrigins].flatMap((o) => {
      const u = new URL(o);
      return u.port ? [`${u.hostname}:${u.port}`] : [u.hostname, `${u.hostname}:${u.protocol === "https:" ? 443 : 80}`];
    }),
  );
  const hostAllowed = (c: Context, host: string): boolean => {
    const h = splitHost(host);
    if (!h) return false;
    if (extraHosts.has(h.port ? `${h.name}:${h.port}` : h.name)) return true;
    const local = localAddress(c);
    if (!local) return LOOPBACK_NAMES.includes(h.name);
    if ((h.port || "80") !== local.port) return false;
    if (isLoopback(local.address)) return LOOPBACK_NAMES.includes(h.name);
    const own = local.address.includes(":") ? `[${local.address.toLowerCase()}]` : local.address;
    return h.name === own;
  };
  return async (c, next) => {
    const host = c.req.header("host");
    if (host !== undefined && !hostAllowed(c, host))
      throw new ModelmapError("forbidden", `Host '${host.slice(0, 200)}' is not an address this server answers to`, {
        hint: "if that name is this server's, start it with --allowed-origin http://NAME:PORT",
      });
    const origin = c.req.header("origin");
    if (origin !== undefined && !extraOrigins.has(origin)) {
      const sameHost = origin.startsWith("http://") && hostAllowed(c, origin.slice(7));
      if (!sameHost)
        throw new ModelmapError("forbidden", `cross-origin request from '${origin.slice(0, 200)}' refused`, {
          hint: "if that origin is yours, start the server with --allowed-origin ORIGIN",
        });
    }
    await next();
  };
}
