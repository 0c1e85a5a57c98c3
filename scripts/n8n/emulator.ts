/**
 * The Genimix stand-in of a scenario: the project's emulator on 127.0.0.1, port 0, with every request
 * it answered and a look at its store right after each PUT (what an Upload or Generate left there).
 */
import { createHash } from 'node:crypto';
import { createEmulator, type Emulator, type EmulatorOptions, type RequestLogEntry } from '@genimix/emulator';
import { onCleanup } from './processes.js';

/** What the emulator held for an image right after a PUT to it. */
export interface StoreSnapshot {
  entry: RequestLogEntry;
  imageId: string;
  exists: boolean;
  contentType?: string;
  sha?: string;
  size?: number;
}

/** A running emulator and what it saw. */
export interface StandIn {
  readonly emulator: Emulator;
  readonly url: string;
  readonly apiKey: string;
  readonly projectId: string;
  /** Every request answered, in order. */
  readonly requests: RequestLogEntry[];
  /** The store right after each PUT, in order (settle them with `Promise.all`). */
  readonly snapshots: Array<Promise<StoreSnapshot>>;
}

/** The emulator's options a scenario may set: `profile`, `latencyMs`, `latencyScale`, `faults`, `maxUploadBytes`. */
export type StandInOptions = Pick<EmulatorOptions, 'profile' | 'latencyMs' | 'latencyScale' | 'faults' | 'maxUploadBytes'>;

/** sha256 of the bytes, in hex. */
export const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Starts an emulator that accepts `apiKey` for every project; closed by the clean-up. */
export async function startStandIn(apiKey: string, projectId: string, options: StandInOptions = {}): Promise<StandIn> {
  const requests: RequestLogEntry[] = [];
  const snapshots: Array<Promise<StoreSnapshot>> = [];
  let ref: Emulator | undefined;
  const emulator = await createEmulator({
    ...options,
    port: 0,
    apiKeys: [apiKey],
    onRequest: (entry) => {
      requests.push(entry);
      const imageId = decodeURIComponent(entry.path.split('/').pop() ?? '');
      const store = ref?.store;
      if (entry.method === 'PUT' && store) {
        snapshots.push(
          store.get(projectId, imageId).then((image) => ({
            entry,
            imageId,
            exists: image !== undefined,
            contentType: image?.contentType,
            sha: image && sha(image.bytes),
            size: image?.size,
          })),
        );
      }
    },
  });
  ref = emulator;
  onCleanup(() => emulator.close());
  return { emulator, url: emulator.url, apiKey, projectId, requests, snapshots };
}
