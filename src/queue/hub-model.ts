/**
 * The weights of a hub submission, on the worker: the pinned GGUF downloaded through the hub room (modelmap's hub
 * cache, so a second job on the same commit downloads nothing; size and LFS sha256 checked before the file is
 * renamed into place), then opened with llama.cpp in-process. The listing at the pinned commit must still name the
 * file the submission was checked with, and the file's type must be the precision submitted.
 */
import type { Backend } from "../backends/types.ts";
import { ModelmapError } from "../core/errors.ts";
import { metaNumber, metaString, readGgufHeader } from "../gguf/reader.ts";
import type { HubSettings } from "../hub/settings.ts";
import { openSnapshot } from "../hub/snapshot.ts";
import { type BackendMiddleware, wrapBackend } from "../models/middleware.ts";
import { resolveModel } from "../models/resolve.ts";
import { type EvalJob, fleetEndpoint, type HubSource } from "./jobs.ts";
import { FILE_TYPES } from "./submit.ts";

/**
 * Downloads (or finds in the cache) the pinned GGUF and checks what the submission could not see without the
 * weights (file type, chat template); returns its local path.
 */
export async function fetchHubGguf(
  source: HubSource,
  hub: HubSettings,
  want: { precision: string; chatTemplate: boolean },
): Promise<string> {
  const snap = await openSnapshot({ kind: "model", id: source.repo }, source.commit, hub);
  const listed = snap.files.get(source.file);
  if (!listed)
    throw new ModelmapError("not_found", `${source.repo}@${source.commit}: ${source.file} is not in the listing`);
  if (listed.size !== source.size || (source.sha256 && listed.sha256 && listed.sha256 !== source.sha256))
    throw new ModelmapError(
      "network",
      `${source.repo}@${source.commit}: ${source.file} is listed with other size or sha256 than at submission`,
    );
  await snap.fetch([source.file]);
  const path = snap.local(source.file);
  const header = readGgufHeader(path);
  const fileType = metaNumber(header, "general.file_type");
  const actual = fileType === undefined ? undefined : FILE_TYPES[fileType];
  if (actual !== undefined && actual.toUpperCase() !== want.precision.toUpperCase())
    throw new ModelmapError(
      "input",
      `${source.repo}/${source.file}: the weights are ${actual}, the submission says ${want.precision}`,
    );
  if (want.chatTemplate && !metaString(header, "tokenizer.chat_template"))
    throw new ModelmapError(
      "input",
      `${source.repo}/${source.file} has no chat template (tokenizer.chat_template); submit with --no-chat-template`,
    );
  return path;
}

/** The pinned GGUF as a backend, under the fleet identity every worker uses for this model and commit. */
export async function openHubModel(
  job: EvalJob & { source: HubSource },
  hub: HubSettings,
  threads: number | undefined,
): Promise<Backend> {
  const path = await fetchHubGguf(job.source, hub, job);
  const id = `${job.model}@${job.revision}`;
  const inner = await resolveModel(
    {
      kind: "gguf",
      file: path,
      id,
      ...(job.chatTemplate ? { chatTemplate: true } : {}),
      ...(threads !== undefined ? { threads } : {}),
    },
    { env: {}, cwd: "/", config: undefined },
  );
  const fleet = fleetEndpoint(job);
  const describe: BackendMiddleware = {
    describe: (d) => ({ ...d, identity: { id, backend: d.identity.backend, name: job.model, endpoint: fleet } }),
  };
  return wrapBackend(inner, describe);
}
