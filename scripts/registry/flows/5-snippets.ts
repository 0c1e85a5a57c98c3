/**
 * The README's install snippets (README.md, and mcp-server/README.md when it is there), each tried
 * as its host would run it, with the placeholders replaced by the emulator's values:
 * - every MCP server entry of a JSON block (`mcpServers`: Claude Desktop, Cursor; `servers`:
 *   VS Code, whose `${input:…}` the host fills in) started with its command, args and env, from a
 *   user folder whose npm knows only the test registry, answering tools/list;
 * - the Windows `cmd /c` entry cannot run here (no cmd.exe): with `cmd /c` dropped it must be the
 *   macOS/Linux entry's command;
 * - Claude Code: `@anthropic-ai/claude-code` installed from the registry into a folder of its own,
 *   the README's `claude mcp add …` line run with a temporary HOME, then `claude mcp list`, which
 *   starts the server and says whether it connects; where the CLI cannot run here, the config it
 *   wrote is checked instead, and the report says why.
 * The n8n variables and npm line are what the n8n flow runs.
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Checks } from '../../n8n/checks.js';
import { root } from '../../n8n/package.js';
import { run, secs } from '../../n8n/processes.js';
import { API_KEY, type Flow, type FlowContext, PROJECT_ID, timed } from '../flow.js';
import { connect, GENIMIX_TOOLS, type ServerEntry } from '../mcp.js';
import { claudeMcpAdd, readIfThere, type SnippetServer, serverEntries } from '../readme-snippets.js';
import type { UserFolder } from '../user-env.js';

const READMES = ['README.md', 'mcp-server/README.md'];
const CLAUDE_CODE = '@anthropic-ai/claude-code';

/** The snippet's placeholders and the values the test gives them. */
function fillPlaceholders(value: string, uploads: string, inputs: SnippetServer['inputs']): string {
  let v = value.replace(/\$\{input:([^}]+)\}/g, (_, id: string) =>
    inputs.some((i) => i.id === id) ? API_KEY : `\${input:${id}}`,
  );
  if (v === 'sk_...') v = API_KEY;
  if (v === 'my-project') v = PROJECT_ID;
  if (/^(\/Users\/me\/|C:\\Users\\me\\)/.test(v)) v = uploads;
  return v;
}

export default {
  name: 'snippets',
  title: 'the README install snippets: each MCP server entry as its host starts it, Claude Code, Windows cmd /c',
  async run(ctx, c) {
    const user = await ctx.user('hosts');
    const uploads = path.join(user.dir, 'Pictures');
    await mkdir(uploads, { recursive: true });
    const lines: string[] = [];
    for (const file of READMES) {
      const markdown = await readIfThere(path.join(root, file));
      if (markdown === undefined) {
        lines.push(`${file}: not there (yet)`);
        continue;
      }
      const entries = serverEntries(file, markdown);
      c.ok(entries.length > 0, `${file}: has MCP server entries (${entries.length})`);
      const posix = entries.find((e) => e.entry.command === 'npx');
      for (const snippet of entries) {
        const label = `${file} ${snippet.heading} [${snippet.key}.${snippet.name}]`;
        const args = snippet.entry.args ?? [];
        if (snippet.entry.command === 'cmd') {
          c.ok(args[0] === '/c', `${label}: Windows entry starts "cmd /c"`);
          c.equal(
            JSON.stringify(args.slice(1)),
            JSON.stringify(posix ? [posix.entry.command, ...(posix.entry.args ?? [])] : undefined),
            `${label}: without "cmd /c" it is the macOS/Linux command (cmd.exe cannot run here: not started)`,
          );
          lines.push(`${label}: Windows only, not started here (no cmd.exe); matches the npx entry without cmd /c`);
          continue;
        }
        if (snippet.key === 'servers')
          c.equal(snippet.entry.type, 'stdio', `${label}: VS Code entry has "type": "stdio"`);
        c.ok(
          !Object.values(snippet.entry.env ?? {}).some((v) => /^sk_[A-Za-z0-9]{8,}/.test(v)),
          `${label}: no real-looking key in the snippet`,
        );
        const env: Record<string, string> = { GENIMIX_BASE_URL: ctx.standIn.url };
        for (const [k, v] of Object.entries(snippet.entry.env ?? {}))
          env[k] = fillPlaceholders(v, uploads, snippet.inputs);
        const entry: ServerEntry = { command: snippet.entry.command, args, env };
        const [server, ms] = await timed(() =>
          connect(label, entry, { cwd: user.dir, baseEnv: user.env, timeoutMs: 5 * 60_000 }),
        );
        try {
          c.equal(server.toolNames.join(','), GENIMIX_TOOLS.join(','), `${label}: tools/list`);
          const models = await server.call('list_models', {});
          c.ok(!models.isError, `${label}: list_models answers`);
        } finally {
          await server.close();
        }
        lines.push(`${label}: ${[entry.command, ...args].join(' ')} → tools/list in ${secs(ms)}`);
      }
      const add = claudeMcpAdd(markdown);
      if (c.ok(add, `${file}: has a "claude mcp add" line`)) lines.push(...(await claudeCode(ctx, c, file, add!)));
    }
    return lines;
  },
} satisfies Flow;

let claudeInstall: Promise<{ code: number | null; bin: string }> | undefined;
/** `npm install @anthropic-ai/claude-code` in a folder of its own, once per run. */
function installClaudeCode(ctx: FlowContext): Promise<{ code: number | null; bin: string }> {
  claudeInstall ??= (async () => {
    const tool = await ctx.user('claude-code-install');
    const result = await run('npm', ['install', '--no-audit', CLAUDE_CODE], {
      cwd: tool.dir,
      env: tool.env,
      timeoutMs: 5 * 60_000,
    });
    return { code: result.code, bin: path.join(tool.dir, 'node_modules', '.bin', 'claude') };
  })();
  return claudeInstall;
}

/** Installs Claude Code from the registry (once), runs the README's line and `claude mcp list`. */
async function claudeCode(ctx: FlowContext, c: Checks, file: string, words: string[]): Promise<string[]> {
  const user: UserFolder = await ctx.user(`claude-code-${file.replace(/\W+/g, '-')}`);
  const args = words.slice(1).map((w) => {
    const kv = /^([A-Z_]+)=(.*)$/.exec(w);
    return kv ? `${kv[1]}=${fillPlaceholders(kv[2]!, user.dir, [])}` : w;
  });
  // The emulator's URL goes in as one more -e, next to the README's.
  const dashDash = args.indexOf('--');
  c.ok(
    dashDash > 0 && args.slice(dashDash + 1).join(' ') === 'npx -y @genimix/mcp-server',
    `${file}: claude mcp add … -- npx -y @genimix/mcp-server`,
  );
  args.splice(dashDash, 0, '-e', `GENIMIX_BASE_URL=${ctx.standIn.url}`);
  const [install, installMs] = await timed(() => installClaudeCode(ctx));
  if (!c.equal(install.code, 0, `npm install ${CLAUDE_CODE} (from the registry's uplink)`)) return [];
  const claude = install.bin;
  const env = { ...user.env, DISABLE_AUTOUPDATER: '1', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' };
  const added = await run(claude, args, { cwd: user.dir, env, timeoutMs: 120_000 });
  const lines = [
    `Claude Code (installed once per run) after ${secs(installMs)}; claude ${words.slice(1, 4).join(' ')} …: exit ${added.code}`,
  ];
  if (added.code !== 0) {
    // The CLI would not run here: check what a run would have read instead, and say why.
    c.ok(false, `claude mcp add exited ${added.code}: ${added.stdout.trim().slice(0, 300)}`);
    return lines;
  }
  // What claude mcp add wrote (local scope: ~/.claude.json, under this project).
  const config = await readFile(path.join(user.home, '.claude.json'), 'utf8').catch(() => '');
  c.ok(
    /"genimix"\s*:\s*\{[^}]*"command"\s*:\s*"npx"/.test(config),
    'claude mcp add wrote a genimix entry that runs npx (~/.claude.json)',
  );
  const listed = await run(claude, ['mcp', 'list'], { cwd: user.dir, env, timeoutMs: 5 * 60_000 });
  const genimixLine = listed.stdout.split('\n').find((l) => l.startsWith('genimix'));
  c.ok(genimixLine, `claude mcp list lists genimix (${genimixLine?.trim() ?? listed.stdout.trim().slice(0, 200)})`);
  c.ok(
    /Connected/i.test(genimixLine ?? ''),
    'claude mcp list: genimix connects (Claude Code started the server by npx and got its tools)',
  );
  lines.push(`claude mcp list: ${genimixLine?.trim() ?? '(no genimix line)'}`);
  return lines;
}
