import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, test } from "node:test";
import { ScriptedBackend } from "../../test/support/scripted-backend.ts";
import { runCli } from "../cli/main.ts";
import { createServeModelApp, type PromptScoringBackend } from "../serve-model/app.ts";
import { openStore, type SqliteStore } from "../store/sqlite/index.ts";
import { createApp } from "./app.ts";
import { MAX_BODY_BYTES } from "./guards.ts";
import { listen } from "./listen.ts";
import { ROUTE_MODULES } from "./routes/index.ts";

let store: SqliteStore;
let server: { url: string; port: number; close(): Promise<void> };

before(async () => {
  store = openStore(":memory:");
  server = await listen(createApp({ store }, ROUTE_MODULES, { allowedOrigins: ["https://models.example.com"] }));
});
after(async () => {
  await server.close();
  await store.close();
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Body bytes the client had written when the answer's head arrived. */
  sentBeforeAnswer: number;
}

/**
 * One raw HTTP/1.1 request with the headers exactly as given (fetch will not send a foreign Host or a false
 * Content-Length). `body` is written in chunks of `chunk` bytes, each after the previous one drained, and
 * writing stops as soon as the answer arrives: a server that answers before reading gets little of it.
 */
function raw(
  port: number,
  opts: {
    method?: string;
    path: string;
    headers?: Record<string, string>;
    /** `size` bytes of spaces in chunks, `text` first when given. */
    body?: { size: number; chunk: number; text?: string };
  },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    let sentBeforeAnswer = 0;
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method: opts.method ?? "GET",
        path: opts.path,
        headers: opts.headers ?? {},
        agent: false,
      },
      (res) => {
        answered = true;
        sentBeforeAnswer = sent;
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => {
          body += d;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, sentBeforeAnswer }));
        res.on("error", reject);
      },
    );
    // The server cuts a refused connection whose body goes on too long; a write still under way then fails.
    req.on("error", (e) => {
      if (!answered) reject(e);
    });
    const b = opts.body;
    if (!b) {
      req.end();
      return;
    }
    req.flushHeaders();
    if (b.text) {
      req.write(b.text);
      sent += b.text.length;
    }
    const chunk = Buffer.alloc(b.chunk, 0x20);
    const pump = () => {
      while (!answered && sent < b.size) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once("drain", pump);
          return;
        }
      }
      if (!answered) req.end();
    };
    pump();
  });
}

/** A sign-up page's pre-session cookie and CSRF token: with them the sign-up route reads its body. */
async function signupAuth(): Promise<Record<string, string>> {
  const page = await fetch(`${server.url}/label`);
  const cookie = page.headers.getSetCookie()[0]?.split(";")[0] ?? "";
  const token = /name="csrf-token" content="([^"]*)"/.exec(await page.text())?.[1] ?? "";
  return { cookie, "x-csrf-token": token };
}

test("a declared Content-Length over the limit is refused with 413 before the body is read", async () => {
  const size = 300 * 1024 * 1024;
  const r = await raw(server.port, {
    method: "POST",
    path: "/api/label/signup",
    headers: { ...(await signupAuth()), "content-type": "application/json", "content-length": String(size) },
    body: { size, chunk: 1024 * 1024 },
  });
  assert.equal(r.status, 413);
  assert.equal((JSON.parse(r.body) as { error: { code: string } }).error.code, "too_large");
  assert.ok(r.sentBeforeAnswer < 32 * 1024 * 1024, `the answer came after ${r.sentBeforeAnswer} bytes`);
  // A length promised but never sent is refused at once, not waited for.
  const huge = await raw(server.port, {
    method: "POST",
    path: "/api/label/signup",
    headers: { ...(await signupAuth()), "content-type": "application/json", "content-length": "10000000000" },
    body: { size: 0, chunk: 1 },
  });
  assert.equal(huge.status, 413);
  // Every path: a GET and an unknown path too, and a page answers the same error as a page.
  const page = await raw(server.port, { path: "/map", headers: { "content-length": String(MAX_BODY_BYTES + 1) } });
  assert.equal(page.status, 413);
  assert.match(page.headers["content-type"] as string, /text\/html/);
  const unknown = await raw(server.port, {
    method: "PUT",
    path: "/api/nowhere",
    headers: { "content-length": String(MAX_BODY_BYTES + 1) },
  });
  assert.equal(unknown.status, 413);
});

test("a chunked body is cut at the limit; one under it reaches the route intact", async () => {
  const over = await raw(server.port, {
    method: "POST",
    path: "/api/label/signup",
    headers: { ...(await signupAuth()), "content-type": "application/json", "transfer-encoding": "chunked" },
    body: { size: 64 * 1024 * 1024, chunk: 1024 * 1024 },
  });
  assert.equal(over.status, 413);
  assert.ok(over.sentBeforeAnswer < 32 * 1024 * 1024, `the answer came after ${over.sentBeforeAnswer} bytes`);
  // Under the limit the route reads the body as sent: spaces around an empty object are a valid sign-up.
  const under = await raw(server.port, {
    method: "POST",
    path: "/api/label/signup",
    headers: { ...(await signupAuth()), "content-type": "application/json", "transfer-encoding": "chunked" },
    body: { size: 4096, chunk: 1024, text: "{}" },
  });
  assert.equal(under.status, 200, under.body);
});

test("serve-model refuses an oversized body with the same limit, in OpenAI's error shape", async () => {
  const backend = Object.assign(new ScriptedBackend(), {
    promptLogprobs: async () => {
      throw new Error("not reached");
    },
  }) as unknown as PromptScoringBackend;
  const s = await listen(createServeModelApp(backend, { modelName: "m", maxBodyBytes: 1024 }));
  try {
    const r = await raw(s.port, {
      method: "POST",
      path: "/v1/completions",
      headers: { "content-type": "application/json", "content-length": String(300 * 1024 * 1024) },
      body: { size: 300 * 1024 * 1024, chunk: 64 * 1024 },
    });
    assert.equal(r.status, 413);
    assert.deepEqual(JSON.parse(r.body), {
      error: { message: "request body over the limit of 1024 bytes", type: "invalid_request_error", code: "too_large" },
    });
    const ok = await fetch(`${s.url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", prompt: "2+2=", max_tokens: 3 }),
    });
    assert.equal(ok.status, 200, await ok.text());
  } finally {
    await s.close();
  }
});

test("a foreign Host is refused (DNS rebinding); the listen address and its loopback aliases are not", async () => {
  const p = server.port;
  for (const host of [
    `evil.example:${p}`,
    "evil.example",
    `127.0.0.1:${p + 1}`,
    `localhost.evil.example:${p}`,
    `[::2]:${p}`,
    `0.0.0.0:${p}`,
  ]) {
    const r = await raw(p, { path: "/api/judgments", headers: { host } });
    assert.equal(r.status, 403, `${host}: ${r.body}`);
    assert.equal((JSON.parse(r.body) as { error: { code: string } }).error.code, "forbidden", host);
    assert.doesNotMatch(r.body, /"sets"/, host);
  }
  const page = await raw(p, { path: "/runs", headers: { host: `evil.example:${p}` } });
  assert.equal(page.status, 403);
  assert.doesNotMatch(page.body, /<h1>Runs/);
  for (const host of [`127.0.0.1:${p}`, `localhost:${p}`, `LOCALHOST:${p}`, `[::1]:${p}`, "models.example.com"]) {
    assert.equal((await raw(p, { path: "/api/judgments", headers: { host } })).status, 200, host);
  }
});

test("a foreign Origin is refused on reads and writes, even with the server's own Host", async () => {
  const p = server.port;
  for (const origin of [`http://evil.example:${p}`, "null", `https://127.0.0.1:${p}`, `http://127.0.0.1:${p + 1}`]) {
    const get = await raw(p, { path: "/api/judgments", headers: { host: `127.0.0.1:${p}`, origin } });
    assert.equal(get.status, 403, `${origin}: ${get.body}`);
    const post = await raw(p, {
      method: "POST",
      path: "/api/label/signup",
      headers: { host: `127.0.0.1:${p}`, origin, "content-type": "application/json", "content-length": "2" },
      body: { size: 2, chunk: 2 },
    });
    assert.equal(post.status, 403, `${origin}: ${post.body}`);
  }
  // The DNS-rebinding pair of the issue: Host and Origin both the attacker's name on the server's port.
  const both = await raw(p, {
    path: "/api/judgments",
    headers: { host: `evil.example:${p}`, origin: `http://evil.example:${p}` },
  });
  assert.equal(both.status, 403);
  for (const origin of [
    `http://localhost:${p}`,
    `http://127.0.0.1:${p}`,
    `http://[::1]:${p}`,
    "https://models.example.com",
  ])
    assert.equal((await raw(p, { path: "/api/judgments", headers: { origin } })).status, 200, origin);
});

test("--allowed-origin takes origins only", () => {
  for (const bad of ["models.example.com", "ftp://x", "https://x/path", "https://u:p@x"]) {
    assert.throws(() => createApp({ store }, [], { allowedOrigins: [bad] }), /allowed-origin/, bad);
  }
});

test("modelmap serve: --allowed-origin (or $MODELMAP_ALLOWED_ORIGINS) admits that name; a bad one exits 2", async () => {
  const io = () => {
    let text = "";
    let wake = () => {};
    return {
      write(s: string) {
        text += s;
        wake();
        return true;
      },
      get text() {
        return text;
      },
      until: (re: RegExp) =>
        new Promise<RegExpMatchArray>((res) => {
          const look = () => {
            const m = re.exec(text);
            if (m) res(m);
          };
          wake = look;
          look();
        }),
    };
  };
  const bad = io();
  const code = await runCli(["--db", ":memory:", "serve", "--port", "0", "--allowed-origin", "models.example.com"], {
    stdout: io(),
    stderr: bad,
  });
  assert.equal(code, 2);
  assert.match(bad.text, /--allowed-origin: 'models\.example\.com' is not a URL/);
  for (const [args, env] of [
    [["--allowed-origin", "http://myhost.lan:9"], {}],
    [[], { MODELMAP_ALLOWED_ORIGINS: "https://elsewhere.example, http://myhost.lan:9" }],
  ] as const) {
    const ac = new AbortController();
    const out = io();
    const done = runCli(["--db", ":memory:", "serve", "--port", "0", ...args], {
      stdout: out,
      stderr: io(),
      env: { ...env },
      signal: ac.signal,
    });
    const [, port] = await out.until(/serving http:\/\/127\.0\.0\.1:(\d+)\//);
    try {
      const p = Number(port);
      assert.equal((await raw(p, { path: "/api/judgments", headers: { host: "myhost.lan:9" } })).status, 200);
      assert.equal((await raw(p, { path: "/api/judgments", headers: { host: "other.lan:9" } })).status, 403);
    } finally {
      ac.abort();
    }
    assert.equal(await done, 0);
  }
});
