/**
 * quickstart's model downloads go through the hub code that datasets use: against a loopback hub serving the two
 * model repositories (stand-in bytes, not models), the files land in the hub cache, checked, and a second run asks
 * for no file.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { commitId, startFakeHub } from "../../test/support/hub-server.ts";
import { downloadQuickstartModels, parseHfUri, QUICKSTART_MODELS } from "./quickstart.ts";

test("quickstart downloads its models into the hub cache once, through the checked downloader", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mm-qs-"));
  const blobs = QUICKSTART_MODELS.map(() => randomBytes(4096));
  const hub = await startFakeHub({
    repos: QUICKSTART_MODELS.map((m, i) => {
      const { repo, path } = parseHfUri(m.uri);
      const c = commitId(repo);
      return {
        kind: "model" as const,
        id: repo,
        refs: { main: c },
        commits: { [c]: { [path]: blobs[i] as Buffer, "README.md": "x" } },
      };
    }),
  });
  try {
    const port = Number(new URL(hub.url).port);
    const hubSettings = { endpoint: hub.url, offline: false, cacheDir: join(dir, "hub"), readCaches: [] };
    const opts = { hub: hubSettings, probe: { host: "127.0.0.1", port, timeoutMs: 3000 } };
    const models = await downloadQuickstartModels(opts);
    assert.deepEqual(
      models.map((m) => m.id),
      QUICKSTART_MODELS.map((m) => m.id),
    );
    models.forEach((m, i) => {
      assert.ok(readFileSync(m.file).equals(blobs[i] as Buffer));
      assert.match(m.file, /hub\/models--[^/]+--[^/]+\/snapshots\/[0-9a-f]{40}\/.+\.gguf$/);
    });
    const n = hub.requests.length;
    await downloadQuickstartModels(opts);
    assert.equal(hub.requests.length, n, "the second run is served by the cache");
    // HF_HUB_OFFLINE: no probe, no request, the cached models.
    const offline = await downloadQuickstartModels({ hub: { ...hubSettings, offline: true } });
    assert.deepEqual(offline, models);
    assert.equal(hub.requests.length, n);
  } finally {
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
