/**
 * A flow of `pnpm test:registry`: one way users install and use a published package, run in
 * folders of its own against the test registry, checked like a test:n8n scenario.
 */
import type { Checks } from '../n8n/checks.js';
import type { StandIn } from '../n8n/emulator.js';
import type { Published } from './publish.js';
import type { UserFolder } from './user-env.js';
import type { Registry } from './verdaccio.js';

export const API_KEY = 'registry-test-key';
export const PROJECT_ID = 'registry-test';

/** What every flow gets. */
export interface FlowContext {
  /** The flow's own temporary folder. */
  dir: string;
  registry: Registry;
  /** The Genimix emulator (started from the workspace, port 0), accepting {@link API_KEY}. */
  standIn: StandIn;
  /** The packages as the release put them in the registry. */
  published: Published[];
  /** A new user's empty folder, npmrc and npm cache (`name` unique within the flow). */
  user(name: string): Promise<UserFolder>;
}

/** A flow page (default export of a file in scripts/registry/flows/). */
export interface Flow {
  /** Short and unique, for `pnpm test:registry -- <name>`. */
  name: string;
  /** One line saying what it shows. */
  title: string;
  /** Runs the flow and its checks; returns summary lines for the report. A throw fails the flow. */
  run(ctx: FlowContext, c: Checks): Promise<string[] | undefined>;
}

/** The published version of `name` (throws when the release did not publish it). */
export function versionOf(ctx: FlowContext, name: string): string {
  const p = ctx.published.find((x) => x.name === name);
  if (!p) throw new Error(`${name} is not in the registry: the release did not publish it`);
  return p.version;
}

/** A flow's step timings for the report: `label 1.2s`. */
export const timed = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
  const t0 = performance.now();
  const value = await fn();
  return [value, performance.now() - t0];
};
