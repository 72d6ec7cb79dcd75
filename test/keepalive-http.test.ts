import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createNetServer, type Server } from "node:net";
import { after, before, test } from "node:test";
import { LeanClient } from "./support/keepalive-http.ts";

// The load generator's HTTP client (bench/label-load) against a real node:http server on loopback.

let server: ReturnType<typeof createServer>;
let origin: URL;
let connections = 0;
const seen: Array<{ method: string; url: string; body: string; length: string | undefined; host: string }> = [];

function handle(req: IncomingMessage, res: ServerResponse): void {
  const parts: Buffer[] = [];
  req.on("data", (c: Buffer) => parts.push(c));
  req.on("end", () => {
    const body = Buffer.concat(parts).toString("utf8");
    seen.push({
      method: req.method ?? "",
      url: req.url ?? "",
      body,
      length: req.headers["content-length"],
      host: req.headers.host ?? "",
    });
    if (req.url === "/json") {
      res.setHeader("set-cookie", ["a=1; Path=/", "b=2; HttpOnly"]);
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ echo: body, n: seen.length }));
    } else if (req.url === "/chunked") {
      res.write("héllo, ");
      setTimeout(() => res.end("wörld"), 5);
    } else if (req.url === "/close") {
      res.setHeader("connection", "close");
      res.end("bye");
    } else if (req.url === "/slow") {
      setTimeout(() => res.end(`slow ${body}`), 20);
    } else if (req.url === "/cut") {
      res.setHeader("content-length", "100");
      res.write("only part of it");
      setTimeout(() => res.socket?.destroy(), 5);
    } else {
      res.statusCode = 404;
      res.end("no such path");
    }
  });
}

before(async () => {
  server = createServer({ keepAliveTimeout: 5000 }, handle);
  server.on("connection", () => connections++);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const a = server.address() as { port: number };
  origin = new URL(`http://127.0.0.1:${a.port}`);
});

after(() => {
  server.closeAllConnections();
  server.close();
});

test("a JSON answer: status, body, repeated set-cookie headers, and the request's body and length as sent", async () => {
  const c = new LeanClient(origin);
  try {
    const r = await c.request("POST", "/json", { "content-type": "application/json" }, '{"x":"ünï"}');
    assert.equal(r.status, 200);
    assert.equal((JSON.parse(r.body) as { echo: string }).echo, '{"x":"ünï"}');
    assert.deepEqual(r.headers.get("set-cookie"), ["a=1; Path=/", "b=2; HttpOnly"]);
    const last = seen.at(-1);
    assert.equal(last?.method, "POST");
    assert.equal(last?.length, String(Buffer.byteLength('{"x":"ünï"}')));
    assert.equal(last?.host, origin.host);
    const missing = await c.request("GET", "/nowhere", {});
    assert.equal(missing.status, 404);
    assert.equal(missing.body, "no such path");
  } finally {
    c.close();
  }
});

test("a chunked answer arrives whole, multi-byte characters included", async () => {
  const c = new LeanClient(origin);
  try {
    const r = await c.request("GET", "/chunked", {});
    assert.equal(r.status, 200);
    assert.equal(r.body, "héllo, wörld");
    // The connection is reused after a chunked answer.
    const again = await c.request("GET", "/chunked", {});
    assert.equal(again.body, "héllo, wörld");
  } finally {
    c.close();
  }
});

test("requests one after another share one connection; requests at once open one each, kept for later", async () => {
  const c = new LeanClient(origin);
  try {
    const before = connections;
    for (let i = 0; i < 5; i++) assert.equal((await c.request("POST", "/json", {}, `${i}`)).status, 200);
    assert.equal(connections - before, 1);
    const at = connections;
    const bodies = await Promise.all([0, 1, 2, 3].map((i) => c.request("POST", "/slow", {}, `${i}`)));
    assert.deepEqual(
      bodies.map((r) => r.body),
      ["slow 0", "slow 1", "slow 2", "slow 3"],
    );
    assert.equal(connections - at, 3, "the idle connection plus three new ones");
    const more = await Promise.all([0, 1, 2, 3].map((i) => c.request("POST", "/slow", {}, `${i}`)));
    assert.equal(more.length, 4);
    assert.equal(connections - at, 3, "the four connections are reused");
  } finally {
    c.close();
  }
});

test("an answer with connection: close is not followed on the same connection", async () => {
  const c = new LeanClient(origin);
  try {
    const before = connections;
    assert.equal((await c.request("GET", "/close", {})).body, "bye");
    assert.equal((await c.request("GET", "/close", {})).body, "bye");
    assert.equal(connections - before, 2);
  } finally {
    c.close();
  }
});

test("a connection cut mid-answer fails that request, and the next request opens a new connection", async () => {
  const c = new LeanClient(origin);
  try {
    await assert.rejects(c.request("GET", "/cut", {}), /connection closed before the response was complete/);
    assert.equal((await c.request("POST", "/json", {}, "after")).status, 200);
  } finally {
    c.close();
  }
});

test("an answer framed by the connection's close, or a malformed head, is an error", async () => {
  const replies = [
    "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nread to the close",
    "SPDY/3 200 OK\r\n\r\n",
    "HTTP/1.1 200 OK\r\nno colon here\r\ncontent-length: 0\r\n\r\n",
    "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nabc",
  ];
  const raw: Server = createNetServer((s) => {
    s.once("data", () => s.end(replies.shift() ?? ""));
  });
  await new Promise<void>((r) => raw.listen(0, "127.0.0.1", r));
  const c = new LeanClient(new URL(`http://127.0.0.1:${(raw.address() as { port: number }).port}`));
  try {
    await assert.rejects(c.request("GET", "/", {}), /neither by content-length nor by chunked/);
    await assert.rejects(c.request("GET", "/", {}), /not an HTTP\/1\.x status line/);
    await assert.rejects(c.request("GET", "/", {}), /malformed header line/);
    await assert.rejects(c.request("GET", "/", {}), /more bytes than the response's content-length/);
  } finally {
    c.close();
    raw.close();
  }
});

test("only plain HTTP", () => {
  assert.throws(() => new LeanClient(new URL("https://127.0.0.1:1")), /plain HTTP only/);
});
