/**
 * n8n 2.41 (test:n8n's cached install, Node 24, PostgreSQL) getting `n8n-nodes-genimix` the ways
 * the README's n8n section says, then running the example workflow with the node as installed
 * (`n8n-nodes-genimix.genimix`, not the workspace's build):
 * 1. `n8n start` with the README's variables and `N8N_COMMUNITY_PACKAGES_REGISTRY` set to the test
 *    registry: n8n's Community edition (no Enterprise licence) refuses another registry, as the
 *    README says, and installs nothing (with a licence it would install: checked either way);
 * 2. `n8n start` with the README's variables alone: n8n installs the package by itself from its
 *    default registry, https://registry.npmjs.org, played by the npmjs.org stand-in in front of
 *    the test registry (npmjs-stand-in.ts; its proxy and throw-away CA reach n8n by environment
 *    only), as every Community-edition user will get it once it is published;
 * 3. the README's npm line for n8n's nodes folder, with only the test registry configured, in a
 *    folder of its own (n8n's manual installation: resolves from the registry, nothing to compile);
 * then checks where the package n8n installed came from (its package.json, the stand-in's and
 * Verdaccio's tarball requests) and runs the example workflow with it;
 * 4. queue mode as the README says (n8n-queue-mode.ts): the main instance installs the package,
 *    each worker, on a user folder of its own, installs it with N8N_REINSTALL_MISSING_PACKAGES=true,
 *    and the example workflow started by the main's webhook runs on that worker.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Checks } from '../../n8n/checks.js';
import { readJson } from '../../n8n/install.js';
import type { N8nInstance } from '../../n8n/instance.js';
import { root } from '../../n8n/package.js';
import { runOk, secs, step } from '../../n8n/processes.js';
import { checkRoundTrip, EXAMPLE_WORKFLOW } from '../../n8n/round-trip.js';
import { runScenario, type Scenario } from '../../n8n/scenario.js';
import { prepareToolbox } from '../../n8n/toolbox.js';
import { type Flow, type FlowContext, timed, versionOf } from '../flow.js';
import { runQueueMode } from '../n8n-queue-mode.js';
import { NPMJS_HOST, startNpmjsStandIn } from '../npmjs-stand-in.js';
import { n8nNpmInstall, n8nVariables } from '../readme-snippets.js';
import { userFolder } from '../user-env.js';

const PACKAGE = 'n8n-nodes-genimix';
const LICENCE_REFUSAL = /Your license does not allow for feat:communityNodes:customRegistry/;
const INSTALLED = new RegExp(`Installed community package '${PACKAGE}[^']*' from env`);

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
    c.equal(
      vars.N8N_REINSTALL_MISSING_PACKAGES,
      'true',
      "the README's queue-mode paragraph gives the workers N8N_REINSTALL_MISSING_PACKAGES=true",
    );
    // The README's variables, less the registry (step 1 adds it, step 2 goes without) and the workers' own.
    const env = { ...vars };
    delete env.N8N_COMMUNITY_PACKAGES_REGISTRY;
    delete env.N8N_REINSTALL_MISSING_PACKAGES;
    const workerEnv = { ...env, N8N_REINSTALL_MISSING_PACKAGES: vars.N8N_REINSTALL_MISSING_PACKAGES ?? '' };

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

        // 1. The README's variables with a registry of their own.
        Object.assign(instance.env, { N8N_COMMUNITY_PACKAGES_REGISTRY: ctx.registry.url.replace(/\/$/, '') });
        await step(
          "n8n start with the README's variables and N8N_COMMUNITY_PACKAGES_REGISTRY",
          () => instance.start(),
          () => 'started',
          '    ',
        );
        const firstLog = lastMainLog(instance);
        await instance.stop();

        const refused = LICENCE_REFUSAL.test(firstLog);
        if (refused) {
          c.ok(
            !existsSync(installedManifest),
            'n8n without an Enterprise licence refuses N8N_COMMUNITY_PACKAGES_REGISTRY, as the README says ("Your license does not allow for feat:communityNodes:customRegistry"), and installs nothing',
          );
          lines.push(
            '1. N8N_COMMUNITY_PACKAGES_REGISTRY: refused by n8n\'s Community edition ("Your license does not allow for feat:communityNodes:customRegistry"), as the README says',
          );
        } else {
          c.ok(
            INSTALLED.test(firstLog),
            `n8n with N8N_COMMUNITY_PACKAGES_REGISTRY either refuses it (no licence) or installs ${PACKAGE}: ${grepLog(firstLog)}`,
          );
          lines.push('1. N8N_COMMUNITY_PACKAGES_REGISTRY: n8n installed the package (an Enterprise licence is active)');
        }

        // 2. The README's variables alone: n8n's default registry, played by the stand-in.
        if (!existsSync(installedManifest)) {
          const npmjs = await step(
            `${NPMJS_HOST} stand-in started`,
            () => startNpmjsStandIn({ registryUrl: ctx.registry.url, logDir: ctx.dir }),
            (s) => `${s.proxyUrl} → ${ctx.registry.url}`,
            '    ',
          );
          try {
            delete instance.env.N8N_COMMUNITY_PACKAGES_REGISTRY;
            Object.assign(instance.env, npmjs.env);
            const tarballsBefore = tarballRequests(ctx, version).length;
            const t0 = performance.now();
            await step(
              "n8n start with the README's variables alone (registry: n8n's default)",
              () => instance.start(),
              () => 'started',
              '    ',
            );
            const log = lastMainLog(instance);
            await instance.stop();

            c.ok(
              INSTALLED.test(log),
              `n8n logged "Installed community package '${PACKAGE}' from env"${INSTALLED.test(log) ? '' : `; its log: ${grepLog(log)}`}`,
            );
            c.ok(
              npmjs.requests.includes(`GET https://${NPMJS_HOST}/${PACKAGE}/-/${PACKAGE}-${version}.tgz`),
              `n8n's npm fetched https://${NPMJS_HOST}/${PACKAGE}/-/${PACKAGE}-${version}.tgz (through the stand-in)`,
            );
            await checkInstalled(ctx, c, installedManifest, version, tarballsBefore);
            lines.push(
              `2. N8N_COMMUNITY_PACKAGES + N8N_COMMUNITY_PACKAGES_MANAGED_BY_ENV: n8n installed ${PACKAGE} by itself from ${NPMJS_HOST} (the stand-in) at start-up; n8n start ${secs(performance.now() - t0)}`,
            );
          } finally {
            for (const name of Object.keys(npmjs.env)) delete instance.env[name];
            await npmjs.close();
          }
        }

        // 3. The README's npm line, in a nodes folder of its own.
        const user = await userFolder(ctx.dir, 'n8n-admin', ctx.registry);
        const manualNodes = path.join(user.home, '.n8n', 'nodes');
        await mkdir(manualNodes, { recursive: true });
        const [npm, ...args] = npmLine!.npm;
        const tarballsBefore = tarballRequests(ctx, version).length;
        const [, npmMs] = await timed(() =>
          runOk(`${npmLine!.npm.join(' ')} (in ${npmLine!.cd})`, npm!, [...args, '--no-audit'], {
            cwd: manualNodes,
            env: user.env,
            timeoutMs: 5 * 60_000,
          }),
        );
        await checkInstalled(
          ctx,
          c,
          path.join(manualNodes, 'node_modules', PACKAGE, 'package.json'),
          version,
          tarballsBefore,
        );
        const lock = await readJson<{ packages?: Record<string, { resolved?: string }> }>(
          path.join(manualNodes, 'node_modules', '.package-lock.json'),
        ).catch(() => undefined);
        const resolved = lock?.packages?.[`node_modules/${PACKAGE}`]?.resolved ?? '';
        c.ok(
          resolved.startsWith(ctx.registry.url),
          `the README's npm line resolved it from the test registry (${resolved})`,
        );
        c.equal(
          Object.keys(lock?.packages ?? {}).filter((k) => k.startsWith('node_modules/')).length,
          1,
          "the README's npm line installs the package alone (no n8n-workflow to compile)",
        );
        lines.push(`3. ${npmLine!.npm.join(' ')}: ${secs(npmMs)}, from the test registry`);
      },
      async check(result, checks) {
        return checkRoundTrip(result, checks, 'GenimixRoundTrip');
      },
    };
    const inner = await runScenario(scenario, path.join(ctx.dir, 'scenario'), tools);
    c.passed += inner.passed;
    c.failures.push(...inner.failures);
    console.log(`\n    queue mode (main, Redis, workers with user folders of their own):`);
    lines.push(...(await runQueueMode(ctx, c, tools, { main: env, worker: workerEnv }, version)));
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
  manifestFile: string,
  version: string,
  tarballsBefore: number,
): Promise<void> {
  const where = path.relative(ctx.dir, manifestFile);
  const manifest = await readJson<{ name?: string; version?: string }>(manifestFile).catch(() => undefined);
  c.equal(manifest?.version, version, `${where}: version`);
  const tarballs = tarballRequests(ctx, version).length - tarballsBefore;
  c.ok(tarballs >= 1, `Verdaccio's log has the tarball's GET /${PACKAGE}/-/${PACKAGE}-${version}.tgz (${tarballs})`);
}

/** What the running `n8n start` of the instance printed so far (read before stop(), which reorders the services). */
function lastMainLog(instance: N8nInstance): string {
  return (
    instance.services
      .filter((s) => s.name.endsWith(':main'))
      .at(-1)
      ?.output() ?? ''
  );
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
