/**
 * `pnpm test:registry [-- <flow> …]`: the packages published to a real npm registry on loopback
 * with the project's own release command, then installed and used as users do.
 *
 * Setup (the library in scripts/registry/, reusing test:n8n's processes, checks and session):
 * - verdaccio.ts: Verdaccio 6.8.0, installed once into `~/.cache/genimix-registry` with `npm ci`
 *   from scripts/registry/verdaccio/ (node-fetch overridden to 2.7.0 for Node 20), started on
 *   127.0.0.1 with a temporary storage: `@genimix/*` and `n8n-nodes-genimix` local only, every
 *   other package proxied to https://registry.npmjs.org/;
 * - publish.ts: a user added through npm's login API for a token, then `pnpm release --no-git-tag`
 *   (`pnpm build && changeset publish`) pointed at Verdaccio by environment only; each
 *   publishable package checked in the registry (version, `latest`, no `workspace:` range);
 * - user-env.ts: each flow's users get an empty folder, a home whose `.npmrc` names only this
 *   registry, an empty npm cache, and a PATH with no `node_modules/.bin`.
 *
 * Flows: every file in scripts/registry/flows/ (file-name order) default-exports a `Flow`
 * (scripts/registry/flow.ts): the MCP server by npx, the core from ESM/CommonJS/TypeScript, the
 * emulator by npx, n8n installing the node, the README's install snippets.
 *
 * Prints ✓/✗ per step and check, a summary per flow and `PASS`/`FAIL`; exits 1 on any failure,
 * after showing the log of every child process. Verdaccio's own log (every request, JSON lines) is
 * `registry/verdaccio.log` in the temporary folder, which `GENIMIX_N8N_KEEP_TEMP=1` keeps;
 * `GENIMIX_REGISTRY_CACHE` moves Verdaccio's install. About 3 minutes in CI once the caches are
 * there (Verdaccio's install: about 25 s the first time; n8n's is test:n8n's).
 */
import path from 'node:path';
import { Checks } from './n8n/checks.js';
import { startStandIn } from './n8n/emulator.js';
import { secs, step } from './n8n/processes.js';
import { runSession } from './n8n/session.js';
import { loadPages } from './pages.js';
import { API_KEY, type Flow, PROJECT_ID } from './registry/flow.js';
import { checkPublished, release } from './registry/publish.js';
import { userFolder } from './registry/user-env.js';
import { addUser, ensureVerdaccio, startRegistry, VERDACCIO_VERSION } from './registry/verdaccio.js';
import { publishablePackages } from './workspace-packages.js';

const flowDir = path.join(path.dirname(new URL(import.meta.url).pathname), 'registry', 'flows');

function loadFlows(): Promise<Flow[]> {
  return loadPages<Flow>(flowDir, 'Flow', (page) => typeof page.run === 'function');
}

async function main(tmp: string): Promise<number> {
  const all = await loadFlows();
  const wanted = process.argv.slice(2).filter((a) => a !== '--');
  const unknown = wanted.filter((w) => !all.some((f) => f.name === w));
  if (unknown.length)
    throw new Error(`no flow named ${unknown.join(', ')}; there are: ${all.map((f) => f.name).join(', ')}`);
  const flows = wanted.length ? all.filter((f) => wanted.includes(f.name)) : all;
  console.log(
    `registry end-to-end test: Verdaccio ${VERDACCIO_VERSION}; flows: ${flows.map((f) => f.name).join(', ')}`,
  );

  const verdaccio = await step(`Verdaccio ${VERDACCIO_VERSION}`, ensureVerdaccio, (v) => v.how);
  const registry = await step(
    'Verdaccio started',
    () => startRegistry(verdaccio.bin, path.join(tmp, 'registry')),
    (r) =>
      `${r.url}, storage in a temporary folder; @genimix/* and n8n-nodes-genimix local only, the rest proxied to npmjs.org`,
  );
  const token = await step('publisher added (PUT /-/user/org.couchdb.user:genimix-release)', () =>
    addUser(registry, 'genimix-release', `pw-${process.pid}-${Date.now()}`),
  );
  const packages = publishablePackages();
  const released = await step(
    'pnpm release --no-git-tag (pnpm build && changeset publish)',
    () => release(registry, token, tmp),
    (r) => `exit ${r.code}`,
  );
  const publishChecks = new Checks('    ');
  publishChecks.equal(released.code, 0, 'pnpm release exit code');
  const published = await checkPublished(registry, packages, publishChecks);
  for (const p of published)
    console.log(
      `    ${p.name}@${p.version}: tarball ${p.tarballBytes ?? '?'} bytes; dependencies: ${p.dependencies.join(', ') || 'none'}`,
    );

  const standIn = await step(
    'Genimix emulator started (createEmulator, port 0)',
    () => startStandIn(API_KEY, PROJECT_ID),
    (s) => s.url,
  );

  const results: Array<{ name: string; passed: number; failed: string[]; error?: string; ms: number }> = [
    { name: 'publish', passed: publishChecks.passed, failed: publishChecks.failures, ms: 0 },
  ];
  for (const flow of flows) {
    console.log(`\n▸ ${flow.name}: ${flow.title}`);
    const t0 = performance.now();
    const c = new Checks('    ');
    const dir = path.join(tmp, 'flows', flow.name);
    try {
      const lines = await flow.run(
        { dir, registry, standIn, published, user: (name) => userFolder(dir, name, registry) },
        c,
      );
      for (const line of lines ?? []) console.log(`    ${line}`);
      results.push({ name: flow.name, passed: c.passed, failed: c.failures, ms: performance.now() - t0 });
    } catch (err) {
      console.log(`    ✗ ${(err as Error).message}`);
      results.push({
        name: flow.name,
        passed: c.passed,
        failed: c.failures,
        error: (err as Error).message,
        ms: performance.now() - t0,
      });
    }
  }

  const local = registry.requests().filter((r) => /^\/(@genimix\/|n8n-nodes-genimix)/.test(r.path));
  console.log(
    `\nVerdaccio answered ${registry.requests().length} requests, ${local.length} of them for our packages (${local.filter((r) => r.path.includes('/-/')).length} tarballs)`,
  );
  console.log('\nFlows:');
  for (const r of results) {
    const ok = !r.error && r.failed.length === 0;
    console.log(
      `  ${ok ? '✓' : '✗'} ${r.name}: ${r.error ? `failed: ${r.error.split('\n')[0]}` : `${r.passed} checks passed, ${r.failed.length} failed`}${r.ms ? ` (${secs(r.ms)})` : ''}`,
    );
    for (const failure of r.failed) console.log(`      ✗ ${failure}`);
  }
  return results.every((r) => !r.error && r.failed.length === 0) ? 0 : 1;
}

await runSession('registry end-to-end test', 'genimix-registry-e2e-', main);
