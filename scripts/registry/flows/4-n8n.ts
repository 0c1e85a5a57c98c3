/**
 * n8n 2.41 (test:n8n's cached install, Node 24, PostgreSQL) getting `n8n-nodes-genimix` from the
 * test registry the ways the README's n8n section says, then running the example workflow with
 * the node as installed (`n8n-nodes-genimix.genimix`, not the workspace's build):
 * 1. `n8n start` with the README's variables (`N8N_COMMUNITY_PACKAGES_MANAGED_BY_ENV`,
 *    `N8N_COMMUNITY_PACKAGES`, and `N8N_COMMUNITY_PACKAGES_REGISTRY` set to the test registry):
 *    n8n installs the package by itself, or (n8n's Community edition, no Enterprise licence) says
 *    it may not use another registry, which the README says too;
 * 2. where it installed nothing, the README's npm line in `<user folder>/.n8n/nodes` with only the
 *    test registry configured (n8n's manual installation);
 * then checks the installed package came from the registry (its package.json, npm's lock and
 * Verdaccio's log of the tarball request) and runs the example workflow.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Checks } from '../../n8n/checks.js';
import { readJson } from '../../n8n/install.js';
import { root } from '../../n8n/package.js';
import { runOk, secs, step } from '../../n8n/processes.js';
import { checkRoundTrip, EXAMPLE_WORKFLOW } from '../../n8n/round-trip.js';
import { runScenario, type Scenario } from '../../n8n/scenario.js';
import { prepareToolbox } from '../../n8n/toolbox.js';
import { type Flow, type FlowContext, versionOf } from '../flow.js';
import { n8nNpmInstall, n8nVariables } from '../readme-snippets.js';
import { userFolder } from '../user-env.js';

const PACKAGE = 'n8n-nodes-genimix';
const LICENCE_REFUSAL = /Your license does not allow for feat:communityNodes:customRegistry/;

export default {
  name: 'n8n',
  title: `n8n 2.41 installs ${PACKAGE} from the registry and runs the example workflow with it`,
  async run(ctx, c) {
    const version = versionOf(ctx, PACKAGE);
    const readme = await readFile(path.join(root, 'README.md'), 'utf8');
    const vars = n8nVariables(readme);
    const npmLine = n8nNpmInstall(readme);
    c.ok(
      vars.N8N_COMMUNITY_PACKAGES_MANAGED_BY_ENV && vars.N8N_COMMUNITY_PACKAGES && vars.N8N_COMMUNITY_PACKAGES_REGISTRY,
      `the README names N8N_COMMUNITY_PACKAGES_MANAGED_BY_ENV, N8N_COMMUNITY_PACKAGES and N8N_COMMUNITY_PACKAGES_REGISTRY (${Object.keys(vars).join(', ')})`,
    );
    c.ok(npmLine, "the README has the npm line for n8n's nodes folder");
    const listed = JSON.parse(vars.N8N_COMMUNITY_PACKAGES ?? '[]') as Array<{ name: string }>;
    c.ok(
      listed.some((p) => p.name === PACKAGE || p.name.startsWith(`${PACKAGE}@`)),
      `the README's N8N_COMMUNITY_PACKAGES lists ${PACKAGE}`,
    );
    const env = { ...vars, N8N_COMMUNITY_PACKAGES_REGISTRY: ctx.registry.url.replace(/\/$/, '') };

    const toolsDir = path.join(ctx.dir, 'n8n');
    await mkdir(toolsDir, { recursive: true });
    // PostgreSQL runs as its own user (when this is root), so it must pass through every folder above its own.
    for (let dir = ctx.dir; dir !== path.dirname(dir) && dir.startsWith(os.tmpdir()); dir = path.dirname(dir))
      if (dir !== os.tmpdir()) await chmod(dir, 0o711);
    const tools = await prepareToolbox(toolsDir, { stagePackage: false });
    const lines: string[] = [];
    const scenario: Scenario = {
      name: 'registry-install',
      title: `${PACKAGE} from the registry, the example workflow`,
      n8n: { nodePackage: 'installed', env },
      workflows: [EXAMPLE_WORKFLOW],
      async prepare({ instance }) {
        const nodesDir = path.join(instance.userFolder, '.n8n', 'nodes');
        const installedManifest = path.join(nodesDir, 'node_modules', PACKAGE, 'package.json');
        const tarballsBefore = tarballRequests(ctx, version).length;
        await step(
          "n8n start with the README's variables (registry: the test registry)",
          () => instance.start(),
          () => 'started',
          '    ',
        );
        await instance.stop();
        const log = instance.logOf('main');
        const installedByN8n = /Installed community package 'n8n-nodes-genimix[^']*' from env/.test(log);
        const refused = LICENCE_REFUSAL.test(log);
        if (installedByN8n) {
          c.ok(true, `n8n installed ${PACKAGE} by itself from N8N_COMMUNITY_PACKAGES_REGISTRY`);
          lines.push('n8n installed the package itself (an Enterprise licence is active)');
        } else {
          c.ok(
            refused,
            `n8n without an Enterprise licence refuses N8N_COMMUNITY_PACKAGES_REGISTRY, as the README says ("Your license does not allow for feat:communityNodes:customRegistry")${refused ? '' : `; its log: ${grepLog(log)}`}`,
          );
          c.ok(!existsSync(installedManifest), 'and installs nothing');
          lines.push(
            'n8n (Community edition) refused the custom registry: "Your license does not allow for feat:communityNodes:customRegistry"; installed with the README\'s npm line instead',
          );
          // The README's way for that case: npm in n8n's nodes folder, with only the test registry configured.
          const user = await userFolder(ctx.dir, 'n8n-admin', ctx.registry);
          await mkdir(nodesDir, { recursive: true });
          const [npm, ...args] = npmLine!.npm;
          const t0 = performance.now();
          await runOk(`${npmLine!.npm.join(' ')} (in ${npmLine!.cd})`, npm!, [...args, '--no-audit'], {
            cwd: nodesDir,
            env: user.env,
            timeoutMs: 5 * 60_000,
          });
          lines.push(`npm install ${PACKAGE} in .n8n/nodes: ${secs(performance.now() - t0)}`);
        }
        await checkInstalled(ctx, c, nodesDir, installedManifest, version, tarballsBefore);
      },
      async check(result, checks) {
        return checkRoundTrip(result, checks, 'GenimixRoundTrip');
      },
    };
    const inner = await runScenario(scenario, path.join(ctx.dir, 'scenario'), tools);
    c.passed += inner.passed;
    c.failures.push(...inner.failures);
    return lines;
  },
} satisfies Flow;

/** Verdaccio's logged GETs of the package's tarball. */
function tarballRequests(ctx: FlowContext, version: string) {
  return ctx.registry
    .requests()
    .filter((r) => r.method === 'GET' && r.path === `/${PACKAGE}/-/${PACKAGE}-${version}.tgz`);
}

async function checkInstalled(
  ctx: FlowContext,
  c: Checks,
  nodesDir: string,
  manifestFile: string,
  version: string,
  tarballsBefore: number,
): Promise<void> {
  const manifest = await readJson<{ name?: string; version?: string }>(manifestFile).catch(() => undefined);
  c.equal(manifest?.version, version, `.n8n/nodes/node_modules/${PACKAGE}/package.json version`);
  const lock = await readJson<{ packages?: Record<string, { resolved?: string; integrity?: string }> }>(
    path.join(nodesDir, 'node_modules', '.package-lock.json'),
  ).catch(() => undefined);
  const resolved = lock?.packages?.[`node_modules/${PACKAGE}`]?.resolved;
  if (resolved !== undefined)
    c.ok(resolved.startsWith(ctx.registry.url), `npm resolved it from the test registry (${resolved})`);
  const tarballs = tarballRequests(ctx, version).length - tarballsBefore;
  c.ok(tarballs >= 1, `Verdaccio's log has the tarball's GET /${PACKAGE}/-/${PACKAGE}-${version}.tgz (${tarballs})`);
}

function grepLog(log: string): string {
  return (
    log
      .split('\n')
      .filter((l) => /communit|licen/i.test(l))
      .slice(-5)
      .join(' | ')
      .slice(0, 800) || '(nothing about community packages)'
  );
}
