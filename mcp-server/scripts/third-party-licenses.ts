/**
 * The licences of the packages tsup bundled into dist/ (read from esbuild's metafile), written
 * to dist/THIRD-PARTY-LICENSES.md: the bundle carries their code, so it carries their notices
 * (Apache-2.0 for the jSquash codecs, MIT and others for the rest).
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

interface Bundled {
  name: string;
  version: string;
  license: string;
  text: string;
}

/** The package folder holding `file`: the nearest folder above it with a package.json that has a name. */
async function packageDirOf(file: string): Promise<string | undefined> {
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(await readFile(manifest, 'utf8')).name) return dir;
  }
  return undefined;
}

/** Reads `metafile` (esbuild's, paths relative to `root`), writes the notices to `out` and deletes the metafile. */
export async function writeThirdPartyLicenses(metafile: string, root: string, out: string): Promise<void> {
  const meta = JSON.parse(await readFile(metafile, 'utf8')) as { inputs: Record<string, unknown> };
  const dirs = new Set<string>();
  for (const key of Object.keys(meta.inputs)) {
    const input = key.replace(/^[\w-]+:/, ''); // a plugin's namespace ("zod-locales:/…/index.js")
    if (!input.includes('node_modules/')) continue; // this workspace's own code: the package's own licence
    const dir = await packageDirOf(path.resolve(root, input));
    if (dir) dirs.add(dir);
  }
  const bundled: Bundled[] = [];
  for (const dir of dirs) {
    const manifest = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8'));
    const licenseFile = (await readdir(dir)).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
    const text = licenseFile ? await readFile(path.join(dir, licenseFile), 'utf8') : '';
    bundled.push({ name: manifest.name, version: manifest.version, license: manifest.license ?? 'see package', text });
  }
  bundled.sort((a, b) => a.name.localeCompare(b.name));
  const sections = bundled.map(
    (p) =>
      `## ${p.name} ${p.version} (${p.license})\n\n${p.text ? `\`\`\`\n${p.text.trim()}\n\`\`\`` : 'No licence file in the package.'}\n`,
  );
  await writeFile(
    out,
    `# Third-party software in this bundle\n\n@genimix/mcp-server is published as one bundle; it contains the following packages.\n\n${sections.join('\n')}`,
  );
  await rm(metafile);
}
