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
  /** When each of `requests` was answered (`performance.now()`, same index): with `durationMs`, when it arrived. */
  readonly answeredAt: number[];
  /** The store right after each PUT, in order (settle them with `Promise.all`). */
  readonly snapshots: Array<Promise<StoreSnapshot>>;
}

/** The emulator's options a scenario may set: `profile`, `latencyMs`, `latencyScale`, `faults`, `maxUploadBytes`. */
export type StandInOptions = Pick<
  EmulatorOptions,
  'profile' | 'latencyMs' | 'latencyScale' | 'faults' | 'maxUploadBytes'
>;

/** The most requests in flight at once among `requests[from…]` (from their answer times and durations). */
export function peakInFlight(
  standIn: StandIn,
  from = 0,
  filter: (entry: RequestLogEntry) => boolean = () => true,
): number {
  const events: Array<[number, number]> = [];
  standIn.requests.forEach((entry, i) => {
    if (i < from || !filter(entry)) return;
    const end = standIn.answeredAt[i]!;
    events.push([end - entry.durationMs, 1], [end, -1]);
  });
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let peak = 0;
  for (const [, delta] of events) {
    now += delta;
    peak = Math.max(peak, now);
  }
  return peak;
}

/** sha256 of the bytes, in hex. */
export const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Starts an emulator that accepts `apiKey` for every project; closed by the clean-up. */
export async function startStandIn(apiKey: string, projectId: string, options: StandInOptions = {}): Promise<StandIn> {
  const requests: RequestLogEntry[] = [];
  const answeredAt: number[] = [];
  const snapshots: Array<Promise<StoreSnapshot>> = [];
  let ref: Emulator | undefined;
  const emulator = await createEmulator({
    ...options,
    port: 0,
    apiKeys: [apiKey],
    onRequest: (entry) => {
      requests.push(entry);
      answeredAt.push(performance.now());
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
  return { emulator, url: emulator.url, apiKey, projectId, requests, answeredAt, snapshots };
}
