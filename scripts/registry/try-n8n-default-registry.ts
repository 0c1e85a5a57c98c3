/**
 * `tsx scripts/registry/try-n8n-default-registry.ts`: does n8n 2.41 (Community edition, no
 * licence) install `n8n-nodes-genimix` by itself from its default registry, as every
 * non-Enterprise user would get it once the package is on npmjs.org?
 *
 * n8n refuses any `N8N_COMMUNITY_PACKAGES_REGISTRY` but https://registry.npmjs.org without an
 * Enterprise licence, so the test registry plays npmjs.org: Verdaccio (scripts/registry/verdaccio.ts)
 * with the packages published by `pnpm release` (publish.ts), behind the npmjs.org stand-in
 * (npmjs-stand-in.ts), whose proxy and CA n8n gets by environment. n8n starts with only
 * `N8N_COMMUNITY_PACKAGES` and `N8N_COMMUNITY_PACKAGES_MANAGED_BY_ENV=true` (no registry variable),
 * then runs the example workflow with the node it installed (`n8n-nodes-genimix.genimix`).
 *
 * Reports what n8n did (its log lines about community packages), the installed package.json,
 * every request the stand-in saw and Verdaccio's tarball GET, and how long `n8n start` took.
 * Exits 1 when n8n did not install the package or the workflow failed.
 *
 * `-- --drop=NAME,NAME` leaves those variables out of the stand-in's environment, to see which
 * ones n8n needs (e.g. `--drop=NODE_EXTRA_CA_CERTS`).
 */
import { chmod, mkdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Checks } from '../n8n/checks.js';
import { readJson } from '../n8n/install.js';
import { secs, step } from '../n8n/processes.js';
import { checkRoundTrip, EXAMPLE_WORKFLOW } from '../n8n/round-trip.js';
import { runScenario, type Scenario } from '../n8n/scenario.js';
import { runSession } from '../n8n/session.js';
import { prepareToolbox } from '../n8n/toolbox.js';
import { NPMJS_HOST, startNpmjsStandIn } from './npmjs-stand-in.js';
import { checkPublished, publishablePackages, release } from './publish.js';
import { addUser, ensureVerdaccio, startRegistry, VERDACCIO_VERSION } from './verdaccio.js';

const PACKAGE = 'n8n-nodes-genimix';

async function main(tmp: string): Promise<number> {
  const verdaccio = await step(`Verdaccio ${VERDACCIO_VERSION}`, ensureVerdaccio, (v) => v.how);
  const registry = await step(
    'Verdaccio started',
    () => startRegistry(verdaccio.bin, path.join(tmp, 'registry')),
    (r) => r.url,
  );
  const token = await step('publisher added', () =>
    addUser(registry, 'genimix-release', `pw-${process.pid}-${Date.now()}`),
  );
  const released = await step(
    'pnpm release --no-git-tag',
    () => release(registry, token, tmp),
    (r) => `exit ${r.code}`,
  );
  if (released.code !== 0) throw new Error(`pnpm release failed:\n${released.stdout.slice(-2000)}`);
  const c = new Checks('  ');
  const nodePackage = (await publishablePackages()).filter((p) => p.name === PACKAGE);
  const [published] = await checkPublished(registry, nodePackage, c);
  if (!published) throw new Error(`${PACKAGE} is not in the registry after the release`);
  const version = published.version;

  const standIn = await step(
    `${NPMJS_HOST} stand-in started`,
    () => startNpmjsStandIn({ registryUrl: registry.url, logDir: tmp }),
    (s) => `${s.proxyUrl} → ${registry.url}`,
  );
  const dropped = dropArgument();
  const env = {
    ...Object.fromEntries(Object.entries(standIn.env).filter(([name]) => !dropped.includes(name))),
    N8N_COMMUNITY_PACKAGES: JSON.stringify([{ name: PACKAGE }]),
    N8N_COMMUNITY_PACKAGES_MANAGED_BY_ENV: 'true',
  };
  console.log(
    `  n8n's extra environment: ${Object.keys(env).join(', ')}${dropped.length ? ` (left out: ${dropped.join(', ')})` : ''}`,
  );

  // PostgreSQL runs as its own user (when this is root), so it must pass through every folder above its own.
  for (let dir = tmp; dir !== path.dirname(dir) && dir.startsWith(os.tmpdir()); dir = path.dirname(dir))
    if (dir !== os.tmpdir()) await chmod(dir, 0o711);
  const toolsDir = path.join(tmp, 'n8n');
  await mkdir(toolsDir, { recursive: true });
  const tools = await prepareToolbox(toolsDir, { stagePackage: false });

  const report: string[] = [];
  const scenario: Scenario = {
    name: 'default-registry',
    title: `${PACKAGE} from n8n's default registry (the stand-in), the example workflow`,
    n8n: { nodePackage: 'installed', env },
    workflows: [EXAMPLE_WORKFLOW],
    async prepare({ instance }) {
      const manifestFile = path.join(instance.userFolder, '.n8n', 'nodes', 'node_modules', PACKAGE, 'package.json');
      const tarballsBefore = tarballGets(registry.requests(), version);
      const t0 = performance.now();
      const started = await instance.start().then(
        () => undefined,
        (err: Error) => err,
      );
      const startMs = performance.now() - t0;
      await instance.stop();
      const log = instance.logOf('main');
      report.push(
        `n8n start (to "Editor is now accessible"): ${secs(startMs)}${started ? ` — failed: ${started.message}` : ''}`,
      );
      const manifest = await readJson<{ name?: string; version?: string }>(manifestFile).catch(() => undefined);
      const installedByN8n = new RegExp(`Installed community package '${PACKAGE}[^']*' from env`).test(log);
      c.ok(installedByN8n, `n8n logged "Installed community package '${PACKAGE}' from env"`);
      c.equal(manifest?.version, version, `.n8n/nodes/node_modules/${PACKAGE}/package.json version`);
      c.ok(
        standIn.requests.includes(`GET https://${NPMJS_HOST}/${PACKAGE}/-/${PACKAGE}-${version}.tgz`),
        `the tarball came through the stand-in as https://${NPMJS_HOST}/${PACKAGE}/-/${PACKAGE}-${version}.tgz`,
      );
      c.ok(
        tarballGets(registry.requests(), version) > tarballsBefore,
        `Verdaccio's log has GET /${PACKAGE}/-/${PACKAGE}-${version}.tgz`,
      );
      const standInLog = await readFile(path.join(tmp, 'npmjs-stand-in.log'), 'utf8').catch(() => '');
      report.push(
        'stand-in requests (time, request, answer):',
        ...standInLog
          .trim()
          .split('\n')
          .map((r) => `  ${r}`),
      );
      report.push("n8n's log about community packages:", ...communityLines(log).map((l) => `  ${l}`));
    },
    async check(result, checks) {
      return checkRoundTrip(result, checks, 'GenimixRoundTrip');
    },
  };
  const t0 = performance.now();
  const inner = await runScenario(scenario, path.join(tmp, 'scenario'), tools).catch((err: Error) => {
    c.ok(false, `the scenario ran: ${err.message}`);
    return undefined;
  });
  report.push(`n8n part (instance, start, example workflow): ${secs(performance.now() - t0)}`);
  for (const line of report) console.log(`  ${line}`);
  await standIn.close();
  const failures = [...c.failures, ...(inner?.failures ?? [])];
  console.log(`\n${c.passed + (inner?.passed ?? 0)} checks passed, ${failures.length} failed`);
  for (const f of failures) console.log(`  ✗ ${f}`);
  return failures.length === 0 ? 0 : 1;
}

/** The variable names after `--drop=`. */
function dropArgument(): string[] {
  const arg = process.argv.find((a) => a.startsWith('--drop='));
  return arg ? arg.slice('--drop='.length).split(',').filter(Boolean) : [];
}

function tarballGets(requests: Array<{ method: string; path: string }>, version: string): number {
  return requests.filter((r) => r.method === 'GET' && r.path === `/${PACKAGE}/-/${PACKAGE}-${version}.tgz`).length;
}

/** n8n's log lines about community packages, npm and the registry (the last 40). */
function communityLines(log: string): string[] {
  return log
    .split('\n')
    .filter((l) => /communit|npm|registry|vetted|strapi|proxy/i.test(l) && !/Registered a "/.test(l))
    .map((l) => l.slice(0, 400))
    .slice(-40);
}

await runSession(
  `n8n installs ${PACKAGE} by itself from its default registry (${NPMJS_HOST} stand-in)`,
  'genimix-npmjs-stand-in-',
  main,
);
