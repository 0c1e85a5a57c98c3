/**
 * The checks of the example workflow `nodes/examples/generate-get-upload-delete.workflow.json`
 * (Generate with download → Get → Upload of the Get's binary → Delete), shared by the scenarios that
 * run it (regular mode, queue mode): every node's output, the binaries read back from n8n's store,
 * and what the emulator holds afterwards.
 */
import type { Checks } from './checks.js';
import { sha } from './emulator.js';
import { type BinaryMeta, type Item, outputsOf, runsOf } from './execution.js';
import { checkRunSucceeded, type ScenarioResult } from './scenario.js';
import { isGenimixNode } from './workflows.js';

export const EXAMPLE_WORKFLOW = 'nodes/examples/generate-get-upload-delete.workflow.json';
const ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const str = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** True when the bytes start with PNG's signature. */
export const isPng = (bytes: Uint8Array): boolean => Buffer.from(bytes.subarray(0, 8)).equals(PNG_SIGNATURE);

/**
 * Checks one run of the example workflow (`workflowId` in the scenario). `label` prefixes every
 * check (e.g. the mode). Returns summary lines: one per node.
 */
export async function checkRoundTrip(
  ctx: ScenarioResult,
  c: Checks,
  workflowId: string,
  label = '',
): Promise<string[]> {
  const p = label ? `${label}: ` : '';
  const run = ctx.run(workflowId);
  const workflow = ctx.workflow(workflowId);
  const { emulator, requests, snapshots, url } = ctx.standIn;
  const projectId = ctx.projectId;
  const lines: string[] = [];
  if (!checkRunSucceeded(c, run, `${p}${workflow.name}`)) return lines;
  const execution = run.execution;

  const byOperation = (operation: string) =>
    workflow.nodes.find((n) => isGenimixNode(n) && n.parameters.operation === operation);
  const itemOf = (operation: string): Item | undefined => {
    const n = byOperation(operation);
    if (!c.ok(n, `${p}the workflow has a ${operation} node`)) return undefined;
    const runs = runsOf(execution, n!.name);
    if (!c.ok(runs.length === 1, `${p}"${n!.name}" ran once (ran ${runs.length} times)`)) return undefined;
    const nodeRun = runs[0]!;
    c.ok(
      !nodeRun.error,
      `${p}"${n!.name}" did not fail${nodeRun.error ? `: ${nodeRun.error.message ?? ''} ${nodeRun.error.description ?? ''}` : ''}`,
    );
    c.equal(nodeRun.executionStatus, 'success', `${p}"${n!.name}" execution status`);
    const items = outputsOf(execution, n!.name)[0] ?? [];
    if (!c.equal(items.length, 1, `${p}"${n!.name}" output items`)) return undefined;
    return items[0];
  };
  /** The binary's metadata checked, and its bytes read back from n8n's binary data store. */
  const checkBinary = async (
    operation: string,
    item: Item | undefined,
    property: string,
    expectedSha: string | undefined,
  ): Promise<BinaryMeta | undefined> => {
    const binary = item?.binary?.[property];
    if (!c.ok(binary, `${p}${operation}: binary property "${property}" is there`)) return undefined;
    c.equal(binary!.mimeType, 'image/png', `${p}${operation}: binary.${property}.mimeType`);
    c.ok(
      typeof binary!.fileName === 'string' && binary!.fileName.length > 0,
      `${p}${operation}: binary.${property} has a file name (got ${JSON.stringify(binary!.fileName)})`,
    );
    c.ok(
      binary!.fileName?.toLowerCase().endsWith('.png'),
      `${p}${operation}: binary.${property}.fileName ends in .png (got ${JSON.stringify(binary!.fileName)})`,
    );
    const bytes = await ctx.readBinary(binary!);
    if (
      c.ok(bytes, `${p}${operation}: the binary's bytes can be read back from n8n (id ${JSON.stringify(binary!.id)})`)
    ) {
      c.equal(bytes!.length, item!.json.size, `${p}${operation}: binary length = json.size`);
      c.ok(isPng(bytes!), `${p}${operation}: the binary's bytes are a PNG`);
      c.ok(
        expectedSha !== undefined && sha(bytes!) === expectedSha,
        `${p}${operation}: the binary's bytes are the emulator's image (sha256 ${sha(bytes!).slice(0, 12)}… vs ${expectedSha?.slice(0, 12)}…)`,
      );
    }
    return binary!;
  };

  // Generate
  const genNode = byOperation('generate');
  const gen = itemOf('generate');
  const genId = str(gen?.json.imageId);
  let genSha: string | undefined;
  if (gen) {
    c.ok(ID_PATTERN.test(genId), `${p}generate: imageId is a valid id (got ${JSON.stringify(gen.json.imageId)})`);
    c.equal(gen.json.projectId, projectId, `${p}generate: projectId`);
    c.equal(gen.json.imageUrl, `${url}/v1/${projectId}/image/${genId}`, `${p}generate: imageUrl`);
    const [provider, modelId] = str(genNode?.parameters.model).split('/');
    c.equal(gen.json.provider, provider, `${p}generate: provider`);
    c.equal(gen.json.modelId, modelId, `${p}generate: modelId`);
    c.equal(gen.json.mimeType, 'image/png', `${p}generate: mimeType`);
    const stored = await emulator.store.get(projectId, genId);
    c.ok(stored, `${p}generate: the emulator holds ${genId}`);
    genSha = stored && sha(stored.bytes);
    c.equal(gen.json.size, stored?.size, `${p}generate: size (the stored image)`);
    c.ok(
      typeof gen.json.fileName === 'string' && gen.json.fileName !== '',
      `${p}generate: json.fileName (got ${JSON.stringify(gen.json.fileName)})`,
    );
    const bin = await checkBinary('generate', gen, str(genNode?.parameters.binaryPropertyName ?? 'data'), genSha);
    lines.push(
      `Generate → ${genId}: ${str(gen.json.mimeType)}, ${str(gen.json.size)} bytes, binary "${bin?.fileName ?? '-'}" ${bin?.mimeType ?? '-'} ${bin?.fileSize ?? ''}`,
    );
  }

  // Get
  const getNode = byOperation('get');
  const got = itemOf('get');
  if (got) {
    c.equal(got.json.imageId, genId, `${p}get: imageId (the generated one, through the expression)`);
    c.equal(got.json.projectId, projectId, `${p}get: projectId`);
    c.equal(got.json.mimeType, 'image/png', `${p}get: mimeType`);
    c.equal(got.json.size, gen?.json.size, `${p}get: size (the generated image)`);
    c.ok(
      typeof got.json.fileName === 'string' && got.json.fileName !== '',
      `${p}get: json.fileName (got ${JSON.stringify(got.json.fileName)})`,
    );
    const bin = await checkBinary('get', got, str(getNode?.parameters.binaryPropertyName ?? 'data'), genSha);
    c.equal(bin?.fileName, got.json.fileName, `${p}get: binary file name = json.fileName`);
    lines.push(
      `Get      → ${str(got.json.imageId)}: ${str(got.json.mimeType)}, ${str(got.json.size)} bytes, binary "${bin?.fileName ?? '-'}" ${bin?.mimeType ?? '-'} ${bin?.fileSize ?? ''}`,
    );
  }

  // Upload
  const uploadNode = byOperation('upload');
  const uploadId = str(uploadNode?.parameters.imageId);
  const up = itemOf('upload');
  if (up) {
    c.equal(up.json.imageId, uploadId, `${p}upload: imageId`);
    c.equal(up.json.projectId, projectId, `${p}upload: projectId`);
    c.equal(up.json.imageUrl, `${url}/v1/${projectId}/image/${uploadId}`, `${p}upload: imageUrl`);
    c.equal(up.json.mimeType, 'image/png', `${p}upload: mimeType`);
    c.equal(up.json.size, got?.json.size, `${p}upload: size (the Get's image)`);
    lines.push(`Upload   → ${str(up.json.imageId)}: ${str(up.json.mimeType)}, ${str(up.json.size)} bytes`);
  }
  const settled = await Promise.all(snapshots);
  const afterUpload = settled.filter((s) => s.imageId === uploadId && s.entry.path.includes('/image/')).pop();
  if (c.ok(afterUpload, `${p}the emulator saw the upload (PUT …/image/${uploadId})`)) {
    c.ok(afterUpload!.exists, `${p}${uploadId} was in the emulator's store after the upload`);
    c.equal(afterUpload!.contentType, 'image/png', `${p}${uploadId}: stored content type`);
    c.ok(
      genSha !== undefined && afterUpload!.sha === genSha,
      `${p}${uploadId}: the stored bytes are the generated image's (sha256 ${afterUpload!.sha?.slice(0, 12)}… vs ${genSha?.slice(0, 12)}…)`,
    );
  }

  // Delete
  const del = itemOf('delete');
  if (del) {
    c.equal(del.json.deleted, true, `${p}delete: deleted`);
    c.equal(del.json.imageId, uploadId, `${p}delete: imageId (the uploaded one, through the expression)`);
    c.equal(del.json.projectId, projectId, `${p}delete: projectId`);
    lines.push(`Delete   → ${str(del.json.imageId)}: deleted ${str(del.json.deleted)}`);
  }
  const deleteRequest = requests.find((r) => r.method === 'DELETE' && r.path.endsWith(`/image/${uploadId}`));
  c.equal(deleteRequest?.status, 200, `${p}DELETE …/image/${uploadId} status (200: the image was there)`);
  c.equal(
    await emulator.store.has(projectId, uploadId),
    false,
    `${p}${uploadId} is gone from the emulator's store after the run`,
  );
  if (genId)
    c.equal(
      await emulator.store.has(projectId, genId),
      true,
      `${p}${genId} (generated) is still in the emulator's store`,
    );
  return lines;
}
