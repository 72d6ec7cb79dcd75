import { createApp } from "../../http/app.ts";
import { listen } from "../../http/listen.ts";
import { ROUTE_MODULES } from "../../http/routes/index.ts";
import { type Command, parseFlags, parseNumberFlag } from "../command.ts";

export const serveCommand: Command = {
  name: "serve",
  summary: "start the web UI and JSON API",
  usage: `usage: modelmap serve [--port N] [--host HOST] [--admin-token TOKEN]

Starts the web UI and JSON API on HOST:PORT (default 127.0.0.1:8787) over the database.
  --port N             port to listen on (0 picks a free one)
  --host HOST          address to bind (default 127.0.0.1)
  --admin-token TOKEN  token for admin pages (default: $MODELMAP_ADMIN_TOKEN; admin pages are closed without one)`,
  async run(argv, ctx) {
    const { values } = parseFlags("serve", argv, {
      port: { type: "string" },
      host: { type: "string" },
      "admin-token": { type: "string" },
    });
    const port = parseNumberFlag("serve", "--port", values.port, { int: true, min: 0, max: 65535 }) ?? 8787;
    const adminToken = values["admin-token"] ?? ctx.env.MODELMAP_ADMIN_TOKEN;
    const app = createApp({ store: ctx.store(), adminToken }, ROUTE_MODULES);
    const server = await listen(app, { host: values.host ?? "127.0.0.1", port });
    ctx.stdout.write(`modelmap: serving ${server.url}/ (Ctrl-C to stop)\n`);
    await new Promise<void>((res) => {
      if (ctx.signal.aborted) res();
      ctx.signal.addEventListener("abort", () => res(), { once: true });
    });
    await server.close();
    return 0;
  },
};
