/**
 * Rendering a template nobody has vetted (one a user submits, say) in a worker thread with its own heap limit
 * and a wall-clock timeout, on top of the in-process step, time and size limits of sandbox.ts: whatever the
 * template does, the worker is terminated and the caller gets a ModelmapError("template"). Costs a worker
 * start (tens of milliseconds), so evaluation runs render in-process once a template has been accepted.
 */
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { type ErrorLocation, ModelmapError } from "../core/errors.ts";
import { newWorker } from "../core/workers.ts";
import type { RenderLimits } from "./sandbox.ts";

export interface IsolatedRenderOptions {
  origin?: string;
  /** Wall-clock limit for starting the worker, parsing and rendering (default 5000 ms). */
  timeoutMs?: number;
  /** Old-generation heap of the worker in MB (default 256). */
  maxHeapMb?: number;
  limits?: Partial<RenderLimits>;
  now?: Date;
}

// The worker runs the sandbox module beside this one: sandbox.js when compiled (dist/), else sandbox.ts through
// tsx's loader, registered in the worker first as the bin does (a loader registered here does not reach it).
const BOOTSTRAP = `
const { parentPort, workerData } = require("node:worker_threads");
(async () => {
  try {
    if (workerData.tsxApi) {
      const { register } = await import(workerData.tsxApi);
      register();
    }
    const m = await import(workerData.sandboxUrl);
    const compiled = m.compileTemplate(workerData.source, workerData.origin);
    parentPort.postMessage({ ok: true, text: m.renderCompiled(compiled, workerData.variables, workerData.opts) });
  } catch (e) {
    parentPort.postMessage({ ok: false, message: String(e && e.message), code: e && e.code, location: e && e.location, hint: e && e.hint });
  }
})();
`;

interface WorkerReply {
  ok: boolean;
  text?: string;
  message?: string;
  code?: string;
  location?: ErrorLocation;
  hint?: string;
}

export function renderIsolated(
  source: string,
  variables: Record<string, unknown>,
  opts: IsolatedRenderOptions = {},
): Promise<string> {
  const origin = opts.origin ?? "template";
  const timeoutMs = opts.timeoutMs ?? 5000;
  const renderOpts: { limits?: Partial<RenderLimits>; now?: Date } = {};
  if (opts.limits) renderOpts.limits = opts.limits;
  if (opts.now) renderOpts.now = opts.now;
  const ext = extname(fileURLToPath(import.meta.url));
  const worker = newWorker(BOOTSTRAP, {
    eval: true,
    workerData: {
      tsxApi: ext === ".ts" ? import.meta.resolve("tsx/esm/api") : undefined,
      sandboxUrl: new URL(`./sandbox${ext}`, import.meta.url).href,
      source,
      origin,
      variables,
      opts: renderOpts,
    },
    resourceLimits: { maxOldGenerationSizeMb: opts.maxHeapMb ?? 256 },
    stdout: true,
    stderr: true,
  });
  const fail = (message: string) =>
    new ModelmapError("template", `chat template: ${message}`, { location: { file: origin } });
  return new Promise<string>((resolvePromise, reject) => {
    let settled = false;
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      f();
    };
    const timer = setTimeout(
      () => settle(() => reject(fail(`limit exceeded: rendering took more than ${timeoutMs} ms (worker stopped)`))),
      timeoutMs,
    );
    worker.on("message", (r: WorkerReply) =>
      settle(() => {
        if (r.ok && typeof r.text === "string") return resolvePromise(r.text);
        if (r.code === "template") {
          // Re-create the sandbox's error here: the message already carries the location.
          const o: { location?: ErrorLocation; hint?: string } = {};
          if (r.location) o.location = r.location;
          if (r.hint) o.hint = r.hint;
          const e = new ModelmapError("template", "", o);
          e.message = r.message ?? "chat template failed";
          return reject(e);
        }
        reject(fail(r.message ?? "render failed"));
      }),
    );
    worker.on("error", (e: Error & { code?: string }) =>
      settle(() =>
        reject(
          fail(
            e.code === "ERR_WORKER_OUT_OF_MEMORY"
              ? `limit exceeded: the template used more than ${opts.maxHeapMb ?? 256} MB (worker stopped)`
              : `render worker failed: ${e.message}`,
          ),
        ),
      ),
    );
    worker.on("exit", (code) => settle(() => reject(fail(`render worker exited (code ${code})`))));
  });
}
