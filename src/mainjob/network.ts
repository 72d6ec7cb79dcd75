/**
 * A quick reachability probe before a download: a DNS lookup and a TCP connect, each with a short timeout,
 * so that an offline machine gets a clear answer in seconds instead of a stalled download.
 */
import { lookup } from "node:dns/promises";
import { connect } from "node:net";
import { ModelmapError } from "../core/errors.ts";

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

function tcpConnect(host: string, port: number, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const done = (err?: Error) => {
      socket.destroy();
      if (err) reject(err);
      else resolve();
    };
    socket.setTimeout(ms, () => done(new Error(`connecting to ${host}:${port} timed out after ${ms} ms`)));
    socket.once("connect", () => done());
    socket.once("error", (e) => done(e));
  });
}

/** Throws ModelmapError("network") when `host:port` cannot be reached within about `timeoutMs` per step. */
export async function probeHost(host: string, port = 443, timeoutMs = 3000): Promise<void> {
  try {
    const { address } = await withTimeout(lookup(host), timeoutMs, `DNS lookup of ${host}`);
    await tcpConnect(address, port, timeoutMs);
  } catch (e) {
    throw new ModelmapError(
      "network",
      `cannot reach ${host}:${port} (${(e as Error).message}); this machine looks offline`,
      {
        cause: e,
        hint: "quickstart --download needs internet access to Hugging Face; offline, run `npm start` (the bundled model zoo)",
      },
    );
  }
}
