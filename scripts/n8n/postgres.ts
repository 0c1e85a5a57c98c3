/**
 * A throw-away PostgreSQL for n8n (Debian's `postgresql-15`, installed with apt-get when missing):
 * initdb into a temporary folder (as the `postgres` user when running as root), trust auth, user
 * `n8n`, 127.0.0.1 on a free port, no fsync; one database per n8n instance; stopped by the clean-up.
 * n8n's sqlite3 binding cannot be built without network access beyond npm, hence PostgreSQL.
 */
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { aptInstall } from './apt.js';
import { commandOk, freePort, logLine, MINUTE, onCleanup, run, runOk } from './processes.js';

/** A running PostgreSQL server. */
export interface Postgres {
  readonly port: number;
  readonly version: string;
  /** The role n8n connects as (a superuser, no password). */
  readonly user: string;
  /** Creates a database: empty, or a copy of `template` (which nothing may be connected to). */
  createDatabase(name: string, template?: string): Promise<void>;
  /**
   * Runs `select json_agg(t) from (<sql>) t` in `database` and returns the rows (objects keyed by
   * column name; `[]` for none). For reading n8n's executions; `sql` is trusted text.
   */
  rows<T = Record<string, unknown>>(database: string, sql: string): Promise<T[]>;
}

const PG_PACKAGE = 'postgresql-15';

function findPgBin(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = (commandOk('ls', [base]) ?? '')
    .split('\n')
    .filter(
      (v) =>
        /^\d+$/.test(v) &&
        existsSync(path.join(base, v, 'bin', 'initdb')) &&
        existsSync(path.join(base, v, 'bin', 'pg_ctl')),
    )
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : path.join(base, versions[0], 'bin');
}

/** PostgreSQL's bin folder (initdb, pg_ctl, psql), from Debian's packages; installs postgresql-15 when none is there. */
export async function ensurePostgres(): Promise<{ bin: string; how: string }> {
  const found = findPgBin();
  if (found) return { bin: found, how: 'installed' };
  await aptInstall(PG_PACKAGE);
  const bin = findPgBin();
  if (!bin) throw new Error(`apt-get installed ${PG_PACKAGE} but no /usr/lib/postgresql/*/bin/initdb is there`);
  return { bin, how: 'installed with apt-get' };
}

/** initdb + pg_ctl start in `<tmp>/pg`; the clean-up stops it and copies its log into the run log. */
export async function startPostgres(bin: string, tmp: string): Promise<Postgres> {
  const dataDir = path.join(tmp, 'pg');
  await mkdir(dataDir, { mode: 0o700 });
  const asRoot = process.getuid?.() === 0;
  const asPostgres = (command: string, args: string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  if (asRoot) {
    const uid = Number(commandOk('id', ['-u', 'postgres']));
    const gid = Number(commandOk('id', ['-g', 'postgres']));
    if (!Number.isInteger(uid) || !Number.isInteger(gid))
      throw new Error('running as root, but there is no `postgres` user to run initdb as');
    await chmod(tmp, 0o711); // postgres may pass through, not list
    await chown(dataDir, uid, gid);
  }
  const user = 'n8n';
  const [initCmd, initArgs] = asPostgres(path.join(bin, 'initdb'), [
    '-D',
    dataDir,
    '-A',
    'trust',
    '-U',
    user,
    '-E',
    'UTF8',
    '--no-sync',
  ]);
  await runOk('initdb', initCmd, initArgs, { timeoutMs: 2 * MINUTE });
  const port = await freePort();
  const pgLog = path.join(dataDir, 'postgres.log');
  const serverOptions = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dataDir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
  const pgCtl = path.join(bin, 'pg_ctl');
  onCleanup(async () => {
    if (!existsSync(path.join(dataDir, 'postmaster.pid'))) return;
    const [stopCmd, stopArgs] = asPostgres(pgCtl, ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '30']);
    const stopped = await run(stopCmd, stopArgs, { timeoutMs: MINUTE });
    if (stopped.code !== 0 && existsSync(path.join(dataDir, 'postmaster.pid'))) {
      const pid = Number((await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
      if (pid > 0) process.kill(pid, 'SIGKILL');
    }
    if (existsSync(pgLog)) logLine(`--- postgres.log\n${await readFile(pgLog, 'utf8')}`);
  });
  const [startCmd, startArgs] = asPostgres(pgCtl, [
    'start',
    '-D',
    dataDir,
    '-l',
    pgLog,
    '-w',
    '-t',
    '60',
    '-o',
    serverOptions,
  ]);
  await runOk('pg_ctl start', startCmd, startArgs, { timeoutMs: 2 * MINUTE });
  const version = commandOk(path.join(bin, 'postgres'), ['--version'])?.replace(/^postgres \(PostgreSQL\) /, '') ?? '?';

  const psql = (database: string, sql: string) =>
    runOk(
      `psql ${database}`,
      path.join(bin, 'psql'),
      [
        '-h',
        '127.0.0.1',
        '-p',
        String(port),
        '-U',
        user,
        '-d',
        database,
        '-X',
        '-q',
        '-At',
        '-v',
        'ON_ERROR_STOP=1',
        '-c',
        sql,
      ],
      {
        timeoutMs: MINUTE,
        quiet: true,
      },
    );
  return {
    port,
    version,
    user,
    async createDatabase(name, template) {
      for (const n of [name, template ?? name])
        if (!/^[a-z_][a-z0-9_]*$/.test(n)) throw new Error(`database name ${JSON.stringify(n)}: use a–z, 0–9 and _`);
      await psql('postgres', `CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`);
    },
    async rows<T>(database: string, sql: string) {
      const out = (await psql(database, `select coalesce(json_agg(t), '[]'::json) from (${sql}) t`)).stdout.trim();
      return JSON.parse(out) as T[];
    },
  };
}
