import { createServer } from "node:net";
import { serve } from "@hono/node-server";
import { ModelmapError } from "../core/errors.ts";

/** A listen failure the user can fix (port taken, address not this machine's) as a usage error naming the flag. */
function listenError(e: unknown, host: string, port: number): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  const where = `${host}:${port}`;
  switch (code) {
    case "EADDRINUSE":
      return new ModelmapError("usage", `port ${port} is in use on ${host}`, {
        location: { field: "--port" },
        hint: "stop what holds it, or choose another port with --port N (0 picks a free one)",
        cause: e,
      });
    case "EACCES":
    case "EPERM":
      return new ModelmapError("usage", `not allowed to listen on ${where} (ports below 1024 need privileges)`, {
        location: { field: "--port" },
        hint: "choose another port with --port N",
        cause: e,
      });
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EADDRNOTAVAIL":
      return new ModelmapError("usage", `cannot listen on host '${host}': not an address of this machine`, {
        location: { field: "--host" },
        hint: "use 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)",
        cause: e,
      });
    default:
      return e;
  }
}

/**
 * Checks that host:port can be listened on, without keeping it: `modelmap start` asks before its evaluation,
 * which used to run to the end and then fail with EADDRINUSE.
 */
export function checkListenable(host: string, port: number): Promise<void> {
  return new Promise((resolveCheck, reject) => {
    const probe = createServer();
    probe.once("error", (e) => reject(listenError(e, host, port)));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolveCheck()));
  });
}

/**
 * Starts an app on host:port (port 0 picks a free port) and resolves with its URL and a close function that
 * also drops kept-alive connections. `modelmap serve` and `modelmap serve-model` both listen through it.
 */
export function listen(
  app: { fetch: (req: Request) => Response | Promise<Response> },
  opts: { host?: string; port?: number } = {},
): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const host = opts.host ?? "127.0.0.1";
  return new Promise((resolveListen, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port: opts.port ?? 0 }, (info) => {
      resolveListen({
        url: `http://${host.includes(":") ? `[${host}]` : host}:${info.port}`,
        port: info.port,
        close: () =>
          new Promise<void>((res) => {
            server.close(() => res());
            if ("closeAllConnections" in server) (server as { closeAllConnections(): void }).closeAllConnections();
          }),
      });
    });
    server.once("error", (e) => reject(listenError(e, host, opts.port ?? 0)));
  });
}
