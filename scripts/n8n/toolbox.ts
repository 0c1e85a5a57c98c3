/**
 * The shared setup of a real-n8n run, as report steps: Node 24 and n8n from the cache (installed
 * on first use), PostgreSQL started, the node package staged, Redis started when first asked for.
 */

import path from 'node:path';
import { ensureN8n, ensureNode, N8N_VERSION, NODE_MAJOR } from './install.js';
import { N8nInstance, type Toolbox } from './instance.js';
import { stageNodePackage } from './package.js';
import { ensurePostgres, startPostgres } from './postgres.js';
import { step } from './processes.js';
import { ensureRedis, startRedis } from './redis.js';

/**
 * Prepares everything the instances share, in `tmp` (a temporary folder the caller removes).
 * `stagePackage: false` leaves the workspace's node package out (instances then get the node only
 * from a package installed in their user folder, as test:registry's do).
 */
export async function prepareToolbox(tmp: string, { stagePackage = true } = {}): Promise<Toolbox> {
  const node = await step(`Node ${NODE_MAJOR} for n8n`, ensureNode, (n) => `${n.version} (${n.how})`);
  const n8n = await step(`n8n ${N8N_VERSION}`, ensureN8n, (n) => n.how);
  const pgBin = await step('PostgreSQL', ensurePostgres, (p) => `${p.bin} (${p.how})`);
  const postgres = await step(
    'PostgreSQL started',
    () => startPostgres(pgBin.bin, tmp),
    (p) => `${p.version} on 127.0.0.1:${p.port}, data in a temporary folder`,
  );
  const staged = stagePackage
    ? await step(
        'node package staged',
        () => stageNodePackage(tmp),
        (s) =>
          `n8n-nodes-genimix ${s.version}: ${s.nodes} node(s), ${s.credentials} credential(s), via N8N_CUSTOM_EXTENSIONS`,
      )
    : undefined;
  let redis: Promise<{ port: number }> | undefined;
  const startRedisOnce = () =>
    (redis ??= (async () => {
      const bin = await step('Redis', ensureRedis, (r) => `redis-server ${r.version} (${r.how})`, '    ');
      return step(
        'Redis started',
        () => startRedis(bin.bin, tmp),
        (r) => `on 127.0.0.1:${r.port}, nothing saved`,
        '    ',
      );
    })());
  let template: Promise<string> | undefined;
  const tools: Toolbox = {
    nodeBin: node.bin,
    n8nScript: n8n.script,
    staged,
    postgres,
    redis: startRedisOnce,
    migratedTemplate: () =>
      (template ??= step(
        'n8n database migrated once',
        () => N8nInstance.migrate('n8n_template', path.join(tmp, 'template'), tools).then(() => 'n8n_template'),
        (db) => `${db}, copied for each instance`,
        '    ',
      )),
  };
  return tools;
}
