import type { FaultKind } from './faults/types.js';
import type { RouteName } from './target.js';

/** One request as `emulator.requests` lists it. Holds no header, so no API key. */
export interface RequestRecord {
  /** The `x-request-id` the response carried (or would have). */
  readonly requestId: string;
  readonly method: string;
  /** The path without its query string, any accepted API key in it replaced by `[redacted]`. */
  readonly path: string;
  /** The operation, or `undefined` for a request that is none of them (unknown path, wrong method). */
  readonly route: RouteName | undefined;
  /** The decoded `:projectId` of an operation's path, as sent. */
  readonly projectId?: string;
  /** The decoded `:imageId` of an operation's path, as sent. */
  readonly imageId?: string;
  /**
   * The response status; `'dropped'` when the connection ended before the whole response went
   * out (a drop or mid-body fault, or the client went away); `'pending'` while the request is
   * still being handled or answered (e.g. held by a latency fault). A status is set before the
   * first response byte is sent, so a client that has its answer finds it here already.
   */
  readonly status: number | 'dropped' | 'pending';
  /** The kind of the fault that affected it, if one did. */
  readonly fault?: FaultKind;
}

/** `emulator.requests`: every request the emulator received, oldest first. */
export interface RequestLog {
  /**
   * A snapshot of the log: frozen records, oldest first, in the order the requests arrived. Keeps
   * the last {@link REQUEST_LOG_LIMIT} requests.
   */
  list(): readonly RequestRecord[];
  /** Empties the log; requests still in progress are not listed afterwards either. */
  clear(): void;
}

/** How many requests the log keeps: the oldest go first beyond this, so a long run stays small. */
export const REQUEST_LOG_LIMIT = 10_000;

/** What the server knows about a request as it arrives. */
export type RequestStart = Omit<RequestRecord, 'status'>;

/** A request's record while the request is in progress. */
export interface OpenRecord {
  /** Records the outcome (see {@link RequestRecord.status}). */
  setStatus(status: number | 'dropped'): void;
}

/** The request log behind `emulator.requests`; the server opens one record per request. */
export class RequestRecorder implements RequestLog {
  // Mutable while their requests are in progress; list() hands out frozen copies.
  #records: Array<{ -readonly [K in keyof RequestRecord]: RequestRecord[K] }> = [];

  /** Adds the record of a request that just arrived, with status `'pending'`. */
  open(start: RequestStart): OpenRecord {
    const record = { ...start, status: 'pending' as RequestRecord['status'] };
    this.#records.push(record);
    // Trimmed in batches, so that each request does not shift the whole array.
    if (this.#records.length > REQUEST_LOG_LIMIT + 1000)
      this.#records.splice(0, this.#records.length - REQUEST_LOG_LIMIT);
    return {
      setStatus(status) {
        record.status = status;
      },
    };
  }

  list(): readonly RequestRecord[] {
    return Object.freeze(this.#records.slice(-REQUEST_LOG_LIMIT).map((r) => Object.freeze({ ...r })));
  }

  clear(): void {
    this.#records = [];
  }
}
