/**
 * Model downloads for `modelmap quickstart --download`, through node-llama-cpp's own resolver (the only place
 * allowed to import node-llama-cpp). `hf:owner/repo/file.gguf` URIs resolve to Hugging Face; a file already
 * in the directory is reused without touching the network.
 */
import { ModelmapError } from "../../core/errors.ts";
import { loadNodeLlamaCpp } from "./engine.ts";

export interface DownloadProgress {
  uri: string;
  downloadedBytes: number;
  totalBytes: number;
}

/** Resolves (and downloads when missing) one model URI into `directory`; returns the local GGUF path. */
export async function downloadModelFile(
  uri: string,
  directory: string,
  opts: { signal?: AbortSignal; onProgress?: (p: DownloadProgress) => void } = {},
): Promise<string> {
  const { resolveModelFile } = await loadNodeLlamaCpp();
  try {
    return await resolveModelFile(uri, {
      directory,
      cli: false,
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onProgress
        ? {
            onProgress: (s: { totalSize: number; downloadedSize: number }) =>
              opts.onProgress?.({ uri, downloadedBytes: s.downloadedSize, totalBytes: s.totalSize }),
          }
        : {}),
    });
  } catch (e) {
    if (opts.signal?.aborted) throw new ModelmapError("aborted", "download interrupted", { cause: e });
    throw new ModelmapError("network", `cannot download ${uri}: ${(e as Error).message}`, {
      cause: e,
      hint: "check the internet connection and the model URI (hf:owner/repo/file.gguf)",
    });
  }
}
