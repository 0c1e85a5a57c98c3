/**
 * `npx -y @genimix/mcp-server`, as the README's snippets start it: `--version`, then the server over
 * stdio answering tools/list and a generate_image against the emulator.
 */
import { runOk, secs } from '../../n8n/processes.js';
import { API_KEY, type Flow, PROJECT_ID, timed, versionOf } from '../flow.js';
import { connect, GENIMIX_TOOLS } from '../mcp.js';

const PACKAGE = '@genimix/mcp-server';

export default {
  name: 'mcp-server',
  title: `npx -y ${PACKAGE}: --version, tools/list and generate_image over stdio`,
  async run(ctx, c) {
    const version = versionOf(ctx, PACKAGE);
    const user = await ctx.user('npx-version');
    const [result, versionMs] = await timed(() =>
      runOk(`npx -y ${PACKAGE} --version`, 'npx', ['-y', PACKAGE, '--version'], {
        cwd: user.dir,
        env: user.env,
        timeoutMs: 5 * 60_000,
      }),
    );
    c.equal(result.stdout.trim(), version, `npx -y ${PACKAGE} --version prints the published version`);

    // A second user: the server started the way hosts start it, from its own empty cache.
    const host = await ctx.user('npx-server');
    const [server, startMs] = await timed(() =>
      connect(
        'npx mcp-server',
        {
          command: 'npx',
          args: ['-y', PACKAGE],
          env: { GENIMIX_API_KEY: API_KEY, GENIMIX_PROJECT_ID: PROJECT_ID, GENIMIX_BASE_URL: ctx.standIn.url },
        },
        { cwd: host.dir, baseEnv: host.env, timeoutMs: 5 * 60_000 },
      ),
    );
    try {
      c.equal(server.toolNames.join(','), GENIMIX_TOOLS.join(','), 'tools/list names every tool');
      const [generated, generateMs] = await timed(() =>
        server.call('generate_image', { prompt: 'A lighthouse at dusk', imageId: 'registry-npx' }),
      );
      c.ok(
        !generated.isError,
        `generate_image succeeded${generated.isError ? `: ${JSON.stringify(generated.content).slice(0, 300)}` : ''}`,
      );
      c.ok(
        generated.content.some((b) => b.type === 'image' && b.data),
        'generate_image shows the image (an image block)',
      );
      c.equal(generated.structuredContent?.imageId, 'registry-npx', 'structuredContent.imageId');
      const stored = await ctx.standIn.emulator.store.get(PROJECT_ID, 'registry-npx');
      c.ok(stored, `the emulator holds the generated image (${stored?.size ?? 0} bytes)`);
      const generateRequests = ctx.standIn.requests.filter(
        (r) => r.method === 'PUT' && r.path.includes('/generate/registry-npx'),
      );
      c.equal(generateRequests.length, 1, 'the emulator got one Generate');
      return [
        `--version ${result.stdout.trim()} in ${secs(versionMs)} (empty npm cache: install included)`,
        `server installed, started and listed ${server.toolNames.length} tools in ${secs(startMs)}; generate_image in ${secs(generateMs)}`,
      ];
    } finally {
      await server.close();
    }
  },
} satisfies Flow;
