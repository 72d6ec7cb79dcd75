import { serve } from "@hono/node-server";

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
    server.once("error", reject);
  });
}
