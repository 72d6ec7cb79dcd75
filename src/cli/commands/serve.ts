import { resolve } from "node:path";
import { createApp } from "../../http/app.ts";
import { parseAllowedOrigin } from "../../http/guards.ts";
import { listen } from "../../http/listen.ts";
import { ROUTE_MODULES } from "../../http/routes/index.ts";
import { BUILTIN_TASKS_DIR } from "../../runner/service.ts";
import { type Command, parseFlags, parseNumberFlag } from "../command.ts";
import { maxBytesFlag } from "./queue.ts";
import { HUB_FLAGS, hubFromFlags } from "./tasks.ts";

export const serveCommand: Command = {
  name: "serve",
  summary: "start the web UI and JSON API",
  usage: `usage: modelmap serve [--port N] [--host HOST] [--admin-token TOKEN] [--allowed-origin URL ...]

Starts the web UI and JSON API on HOST:PORT (default 127.0.0.1:8787) over the database.
  --port N              port to listen on (0 picks a free one)
  --host HOST           address to bind (default 127.0.0.1)
  --admin-token TOKEN   token for admin pages and for secret prompt sets and blind campaigns' standings
                        (default: $MODELMAP_ADMIN_TOKEN; admin pages are closed without one)
  --allowed-origin URL  another origin the site is used under, e.g. https://models.example.com behind a proxy
                        (repeatable; default: $MODELMAP_ALLOWED_ORIGINS, comma-separated). Requests naming any
                        other Host or Origin than the listen address (and, on loopback, localhost, 127.0.0.1
                        and [::1]) are refused with 403.
  --submissions         open leaderboard submissions (/submit, /queue; needs --db postgres://...), checked as
                        'modelmap submit' checks them, with:
  --models-dir DIR      the catalogue of GGUF files submitters choose from (default: the bundled zoo)
  --max-params N        refuse models larger than N parameters
  --require-license     refuse models whose weights state no licence
  --max-size-gb N       refuse hub models (owner/name) whose weights are larger; hub submissions use
                        HF_ENDPOINT and HF_TOKEN, and are refused with --offline
  --model-endpoint URLS endpoints that serve models by name (safetensors-only hub models must be served there)
  --rate N              submissions per submitter per 24 h (default 5)
  --include-path DIR    operator task folders besides the shipped ones (repeatable)
Request bodies over 1 MiB are refused with 413.`,
  async run(argv, ctx) {
    const { values } = parseFlags("serve", argv, {
      port: { type: "string" },
      host: { type: "string" },
      "admin-token": { type: "string" },
      "allowed-origin": { type: "string", multiple: true },
      submissions: { type: "boolean" },
      "models-dir": { type: "string" },
      "max-params": { type: "string" },
      "require-license": { type: "boolean" },
      rate: { type: "string" },
      "include-path": { type: "string", multiple: true },
      "max-size-gb": { type: "string" },
      "model-endpoint": { type: "string", multiple: true },
      ...HUB_FLAGS,
    });
    const port = parseNumberFlag("serve", "--port", values.port, { int: true, min: 0, max: 65535 }) ?? 8787;
    const adminToken = values["admin-token"] ?? ctx.env.MODELMAP_ADMIN_TOKEN;
    const allowedOrigins = (values["allowed-origin"] ?? splitOrigins(ctx.env.MODELMAP_ALLOWED_ORIGINS)).map(
      parseAllowedOrigin,
    );
    const queue = values.submissions
      ? await (await import("../../queue/queue.ts")).JobQueue.open(ctx.dbPath)
      : undefined;
    const submissions = queue && {
      queue,
      policy: {
        modelsDir: resolve(ctx.cwd, values["models-dir"] ?? resolve(BUILTIN_TASKS_DIR, "..", "fixtures", "zoo")),
        maxParams: parseNumberFlag("serve", "--max-params", values["max-params"], { int: true, min: 1 }),
        requireLicense: values["require-license"] === true,
        ratePerWindow: parseNumberFlag("serve", "--rate", values.rate, { int: true, min: 1 }) ?? 5,
        tasksDirs: (values["include-path"] ?? []).map((d) => resolve(ctx.cwd, d)),
        hub: hubFromFlags({ offline: values.offline === true, quiet: true }, ctx),
        maxBytes: maxBytesFlag("serve", values["max-size-gb"]),
        endpoints: (values["model-endpoint"] ?? [])
          .flatMap((s) => s.split(","))
          .map((s) => s.trim())
          .filter(Boolean),
      },
    };
    const app = createApp({ store: await ctx.store(), adminToken, submissions }, ROUTE_MODULES, { allowedOrigins });
    const server = await listen(app, { host: values.host ?? "127.0.0.1", port });
    ctx.stdout.write(`modelmap: serving ${server.url}/ (Ctrl-C to stop)\n`);
    await new Promise<void>((res) => {
      if (ctx.signal.aborted) res();
      ctx.signal.addEventListener("abort", () => res(), { once: true });
    });
    await server.close();
    await queue?.close();
    return 0;
  },
};

function splitOrigins(env: string | undefined): string[] {
  return (env ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}
