import { serve } from "@hono/node-server";
import type { Hono } from "hono";
import type { AppEnv } from "./app.ts";

/** Starts the app on host:port (port 0 picks a free port) and resolves with its URL and a close function. */
export function listen(
  app: Pick<Hono<AppEnv>, "fetch">,
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
    server.once("error", reject);
  });
}
