/**
 * The notices of third-party code a package's bundle carries, written to its
 * dist/THIRD-PARTY-LICENSES.md: the npm packages the bundler took in (read from esbuild's
 * metafile), and files copied into the bundle as they are, such as the compiled WebAssembly
 * codecs (libjpeg-turbo/MozJPEG, libwebp, the PNG and resize codecs), whose notices are not the
 * npm package's own. Used by the builds of @genimix/mcp-server and n8n-nodes-genimix.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** A file copied into the bundle unchanged. */
export interface CopiedFile {
  /** Its path inside the published package, e.g. `dist/wasm/jpeg-decode.wasm`. */
  bundled: string;
  /** The absolute path of the file it was copied from, inside an installed npm package. */
  source: string;
}

/** What {@link writeThirdPartyLicenses} reads and writes. */
export interface ThirdPartyLicensesOptions {
  /** esbuild's metafile (paths relative to `root`); deleted once read. */
  metafile: string;
  /** The folder the metafile's paths are relative to: the package's. */
  root: string;
  /** The notices file to write. */
  out: string;
  /** The published package's name, for the file's opening sentence. */
  packageName: string;
  /** Files copied into the bundle unchanged, each with the notice found nearest to its source. */
  copied?: readonly CopiedFile[];
}

interface Section {
  heading: string;
  text: string;
}

// The IJG licence asks that the documentation of a binary built from libjpeg say this.
const IJG_ACKNOWLEDGEMENT = 'This software is based in part on the work of the Independent JPEG Group.';

/** The package folder holding `file`: the nearest folder above it with a package.json that has a name. */
async function packageDirOf(file: string): Promise<string | undefined> {
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(await readFile(manifest, 'utf8')).name) return dir;
  }
  return undefined;
}

const isLicenceFile = (name: string) => /^(licen[cs]e|copying)(\.|$)/i.test(name);

/**
 * A package's licence text: its licence file or, when it has none, the comment that opens its
 * main script when that is a licence (omggif keeps its MIT notice there, and minifying drops it
 * from the bundle).
 */
async function licenceOfPackage(dir: string, manifest: { main?: string }): Promise<string> {
  const file = (await readdir(dir)).find(isLicenceFile);
  if (file) return readFile(path.join(dir, file), 'utf8');
  const main = path.join(dir, manifest.main ?? 'index.js');
  if (!existsSync(main)) return '';
  const header = /^(?:\s*\/\/[^\n]*\n)+/.exec(await readFile(main, 'utf8'))?.[0] ?? '';
  const text = header.replace(/^\s*\/\/ ?/gm, '').trim();
  return /permission is hereby granted|licen[cs]e/i.test(text) ? text : '';
}

/**
 * The notice nearest to a copied file: a `LICENSE.codec.md` (jSquash's notice of the C/C++/Rust
 * library compiled to WebAssembly) or licence file in its folder or a folder above it, up to its
 * package. A notice naming README.ijg brings that file, or the IJG acknowledgement when the
 * package does not ship it.
 * @throws {Error} when no notice is found: the build must not publish a codec without one
 */
export async function noticeOfCopiedFile(source: string): Promise<{ file: string; text: string }> {
  const top = (await packageDirOf(source)) ?? path.dirname(source);
  for (let dir = path.dirname(source); ; dir = path.dirname(dir)) {
    const names = await readdir(dir);
    const name =
      names.find((n) => /^licen[cs]e\.codec\.md$/i.test(n)) ?? (dir === top ? undefined : names.find(isLicenceFile));
    if (name) {
      let text = (await readFile(path.join(dir, name), 'utf8')).trim();
      if (/README\.ijg/.test(text)) {
        text += existsSync(path.join(dir, 'README.ijg'))
          ? `\n\nREADME.ijg:\n\n${(await readFile(path.join(dir, 'README.ijg'), 'utf8')).trim()}`
          : `\n\n${IJG_ACKNOWLEDGEMENT} (The IJG licence is in libjpeg-turbo's README.ijg: https://github.com/libjpeg-turbo/libjpeg-turbo/blob/main/README.ijg)`;
      }
      return { file: path.join(dir, name), text };
    }
    if (dir === top) throw new Error(`no licence notice found for ${source}`);
  }
}

const fenced = (text: string) => (text ? `\`\`\`\n${text.trim()}\n\`\`\`` : 'No licence file in the package.');

/** Reads the metafile, writes the notices to `out` and deletes the metafile. */
export async function writeThirdPartyLicenses(options: ThirdPartyLicensesOptions): Promise<void> {
  const { metafile, root, out, packageName, copied = [] } = options;
  const meta = JSON.parse(await readFile(metafile, 'utf8')) as { inputs: Record<string, unknown> };
  const dirs = new Set<string>();
  for (const key of Object.keys(meta.inputs)) {
    const input = key.replace(/^[\w-]+:/, ''); // a plugin's namespace ("zod-locales:/…/index.js")
    if (!input.includes('node_modules/')) continue; // this workspace's own code: the package's own licence
    const dir = await packageDirOf(path.resolve(root, input));
    if (dir) dirs.add(dir);
  }
  const packages: Section[] = [];
  for (const dir of dirs) {
    const manifest = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8'));
    packages.push({
      heading: `${manifest.name} ${manifest.version} (${manifest.license ?? 'see package'})`,
      text: fenced(await licenceOfPackage(dir, manifest)),
    });
  }
  packages.sort((a, b) => a.heading.localeCompare(b.heading));
  const files: Section[] = [];
  for (const file of [...copied].sort((a, b) => a.bundled.localeCompare(b.bundled))) {
    const dir = await packageDirOf(file.source);
    const manifest = dir ? JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) : undefined;
    const notice = await noticeOfCopiedFile(file.source);
    const from = manifest
      ? `${manifest.name} ${manifest.version}, ${path
          .relative(dir as string, notice.file)
          .split(path.sep)
          .join('/')}`
      : path.basename(notice.file);
    files.push({ heading: `${file.bundled} (compiled code; notice from ${from})`, text: fenced(notice.text) });
  }
  const body = [
    `# Third-party software in this bundle\n\n${packageName} is published as a bundle; it contains the following packages.\n`,
    ...packages.map((s) => `## ${s.heading}\n\n${s.text}\n`),
    ...(files.length > 0
      ? [
          '# Compiled code copied into the bundle\n\nWebAssembly builds of other projects, with the notices of the code they were compiled from.\n',
          ...files.map((s) => `## ${s.heading}\n\n${s.text}\n`),
        ]
      : []),
  ];
  await writeFile(out, body.join('\n'));
  await rm(metafile);
}
