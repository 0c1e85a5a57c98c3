/**
 * The main job, `pnpm demo`: a real MCP client drives the Genimix MCP server over stdio, which
 * speaks HTTP to a local Genimix emulator in its realistic profile (photo-like images of the
 * models' real sizes, 1–4 MB, after a latency per model, here at a tenth of the real time). It
 * lists the tools and models, generates an image with progress, shows what the model sees (a
 * preview) and writes the full image to out/, uploads a real photograph and checks that it comes
 * back byte for byte, deletes it and shows the 404 that follows. Needs no account and no network.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEmulator } from '@genimix/emulator';
import {
  connectServer,
  detailsOf,
  imageOf,
  readResource,
  resourceLinkOf,
  type ToolResult,
  textOf,
} from './mcp-client.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'out');
const fixture = path.join(root, 'fixtures', 'stm32f3-discovery.jpg');

const step = (title: string) => console.log(`\n▶ ${title}`);
const say = (line: string) => console.log(`  ${line}`);
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex').slice(0, 16);

function expectOk(result: ToolResult, what: string): ToolResult {
  if (result.isError) throw new Error(`${what} failed: ${textOf(result)}`);
  return result;
}

async function main(): Promise<void> {
  const apiKey = 'demo-key';
  const projectId = 'demo';
  step('Starting the Genimix emulator on loopback (realistic profile)');
  const emulator = await createEmulator({ port: 0, apiKeys: [apiKey], profile: 'realistic', latencyScale: 0.1 });
  say(
    `emulator at ${emulator.url}: images in memory; Generate draws a photo-like image of the model's real size (1–4 MB PNG), after the model's latency at a tenth of real time`,
  );

  let server: Awaited<ReturnType<typeof connectServer>> | undefined;
  try {
    step('Spawning the MCP server (genimix-mcp) over stdio');
    server = await connectServer({
      GENIMIX_API_KEY: apiKey,
      GENIMIX_PROJECT_ID: projectId,
      GENIMIX_BASE_URL: emulator.url,
      GENIMIX_OUTPUT_DIR: path.join(outDir, 'full'),
      GENIMIX_ALLOWED_DIRS: path.join(root, 'fixtures'),
      GENIMIX_PROGRESS_INTERVAL_MS: '1000',
    });
    const info = server.client.getServerVersion();
    say(`connected to ${info?.name} ${info?.version}`);

    step('tools/list');
    const { tools } = await server.client.listTools();
    for (const tool of tools) say(`${tool.name.padEnd(15)} ${tool.description?.split('. ')[0]}.`);

    step('list_models');
    const models = expectOk(await server.call('list_models', {}), 'list_models');
    for (const line of textOf(models).split('\n').slice(1, -1)) say(line);

    step('generate_image (openai/dall-e-3, with progress)');
    const prompt = 'A lighthouse on a cliff at dawn, watercolour';
    say(`prompt "${prompt}"`);
    const generated = expectOk(
      (await server.client.callTool(
        { name: 'generate_image', arguments: { prompt, modelId: 'dall-e-3' } },
        { onprogress: (p) => say(`  progress: ${p.message ?? p.progress}`) },
      )) as ToolResult,
      'generate_image',
    );
    const gen = detailsOf(generated);
    for (const line of textOf(generated).split('\n').slice(0, -1)) say(line);
    const preview = gen.preview as { width: number; height: number; size: number; original: boolean };
    say(
      `what the model sees: a ${preview.original ? 'copy of the image' : 'preview'}, ${preview.width}×${preview.height}, ${imageOf(generated).length} bytes (${generated.content.find((c) => c.type === 'image')!.data!.length} base64 characters)`,
    );

    step('resources/read of the full image → out/');
    const full = await readResource(server.client, resourceLinkOf(generated).uri);
    if (!full.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])))
      throw new Error('the generated image is not a PNG');
    await mkdir(outDir, { recursive: true });
    const pngPath = path.join(outDir, `${String(gen.imageId)}.png`);
    await writeFile(pngPath, full);
    const previewPath = path.join(outDir, `${String(gen.imageId)}.preview.jpg`);
    await writeFile(previewPath, imageOf(generated));
    say(
      `${full.length} bytes of image/png (${String(gen.width)}×${String(gen.height)}) written to ${path.relative(root, pngPath)}; the preview to ${path.relative(root, previewPath)}`,
    );

    step('upload_image (a real photograph from fixtures/)');
    const original = await readFile(fixture);
    const uploaded = expectOk(
      await server.call('upload_image', { path: fixture, imageId: 'stm32f3-discovery' }),
      'upload_image',
    );
    say(textOf(uploaded).split('\n')[0]!);

    step('get_image of the upload, and its full image compared with the file');
    const shown = expectOk(await server.call('get_image', { imageId: 'stm32f3-discovery' }), 'get_image');
    say(textOf(shown).split('\n')[1]!);
    const back = await readResource(server.client, resourceLinkOf(shown).uri);
    if (!back.equals(original))
      throw new Error(`the uploaded image came back different: ${sha256(back)} ≠ ${sha256(original)}`);
    say(`${back.length} bytes, sha256 ${sha256(back)}… identical to ${path.relative(root, fixture)}`);

    step('delete_image');
    const deleted = expectOk(await server.call('delete_image', { imageId: 'stm32f3-discovery' }), 'delete_image');
    say(textOf(deleted).split('\n')[0]!);

    step('get_image after the delete');
    const gone = await server.call('get_image', { imageId: 'stm32f3-discovery' });
    if (!gone.isError || !/404/.test(textOf(gone)))
      throw new Error(`expected a 404 after the delete, got: ${textOf(gone)}`);
    say(`isError: true — ${textOf(gone)}`);

    console.log(`\n✔ Demo complete: generated ${String(gen.imageId)}, round-tripped the photograph, deleted it.`);
  } finally {
    await server?.close();
    await emulator.close();
  }
}

main().catch((error: unknown) => {
  console.error(`\n✘ Demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
