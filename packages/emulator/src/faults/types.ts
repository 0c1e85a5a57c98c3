import type { RouteName } from '../target.js';

/**
 * Which requests a fault applies to, and how many. A request matches when it is for the fault's
 * `route` (any of the four operations when absent) and its path names the fault's `projectId`
 * and `imageId` (any when absent). Matching reads the method and path only, before the API key is
 * checked, as a proxy in front of the API would: a request with a wrong key matches too.
 */
export interface FaultScope {
  /** Only requests of this operation (`get` includes HEAD); absent: all four operations. */
  readonly route?: RouteName;
  /** Only requests for this project (compared with the decoded path segment). */
  readonly projectId?: string;
  /** Only requests for this image id (compared with the decoded path segment). */
  readonly imageId?: string;
  /**
   * How many matching requests it affects, counted from when it is added: a whole number ≥ 1, or
   * `Infinity` for every one; default 1.
   */
  readonly times?: number;
}

/** Waits `ms` before the request is handled; the request is then handled and answered normally. */
export interface LatencyFault extends FaultScope {
  readonly kind: 'latency';
  /** The wait, in milliseconds: 0 to 2,147,483,647 (about 24.8 days, the longest a timer takes). */
  readonly ms: number;
}

/**
 * Answers `status` instead of handling the request: nothing in the store changes, and the request
 * body (an upload's image) is read and thrown away.
 */
export interface StatusFault extends FaultScope {
  readonly kind: 'status';
  /** The HTTP status, 200 to 599: e.g. 503, 429, 500, 502, 408. */
  readonly status: number;
  /**
   * The `Retry-After` header, sent exactly as given: seconds (`'1'`, or a number) or an HTTP date
   * (`'Wed, 21 Oct 2026 07:28:00 GMT'`). Not checked for meaning, so that malformed values can be
   * tested too; only for characters a header may hold. Absent: no `Retry-After`.
   */
  readonly retryAfter?: string | number;
  /**
   * A raw body instead of the default JSON `{ "success": false, "message": "<status text> (a fault
   * injected by the emulator)." }`: an HTML page, plain text, `''`, broken JSON.
   */
  readonly body?: string | Uint8Array;
  /**
   * The `Content-Type` of `body`: default `text/plain; charset=utf-8`; `null` sends none. Ignored
   * without `body` (the default body is JSON).
   */
  readonly contentType?: string | null;
}

/** Where in the exchange a dropped connection is cut. */
export type DropWhen =
  /** Before the request is handled: nothing changes; the client gets no response byte. */
  | 'before-processing'
  /**
   * After the request was handled, before any response byte: the store changed (an upload or
   * generate stored its image, a delete removed it), yet the client sees a failure. The worst case
   * for a client: the work was done.
   */
  | 'after-processing'
  /**
   * After the request was handled and the status line, the headers (with the full
   * `Content-Length`) and the first half of the body were sent: a 200 cut off mid-way (half of a
   * Get's image bytes, half of a JSON body).
   */
  | 'mid-body';

/** Destroys the connection at the point `when` says. */
export interface DropFault extends FaultScope {
  readonly kind: 'drop';
  readonly when: DropWhen;
}

/** Handles the request normally, then sends the body in `chunkBytes` pieces with `delayMs` between them. */
export interface SlowBodyFault extends FaultScope {
  readonly kind: 'slow-body';
  /** Bytes per piece: a whole number ≥ 1. */
  readonly chunkBytes: number;
  /** The wait between two pieces, in milliseconds: 0 to 2,147,483,647. The status and headers go out at once. */
  readonly delayMs: number;
}

/**
 * Answers a success status with a body that breaks the contract, instead of handling the request
 * (nothing in the store changes): JSON of the wrong shape, text or HTML where an image or JSON
 * belongs, an empty body.
 */
export interface MalformedFault extends FaultScope {
  readonly kind: 'malformed';
  /** The body, sent as given. */
  readonly body: string | Uint8Array;
  /** Its `Content-Type`: default `application/json; charset=utf-8`; `null` sends none. */
  readonly contentType?: string | null;
  /** A 2xx status; default 200. */
  readonly status?: number;
}

/** One fault to inject; see each kind. */
export type Fault = LatencyFault | StatusFault | DropFault | SlowBodyFault | MalformedFault;

/** The kinds of {@link Fault}. */
export type FaultKind = Fault['kind'];

/** An added fault: how much of it is left, and how often it struck. */
export interface FaultHandle {
  /** The fault as added, checked and with `times` filled in; frozen. */
  readonly fault: Readonly<Fault>;
  /** How many more matching requests it will affect: `Infinity` for an unlimited one; 0 once spent or removed. */
  readonly remaining: number;
  /** How many requests it has affected so far. */
  readonly hits: number;
  /**
   * Resolves once `hits` reaches `count` (default 1), i.e. as soon as that request reached the
   * fault and its effect began (a latency wait started, a status is about to be sent). Lets a test
   * act at that moment (abort the call, close the emulator) without sleeping. Rejects when the
   * fault is removed, cleared or its emulator closed before that.
   */
  whenHit(count?: number): Promise<void>;
  /** Stops it affecting further requests; a request it already affects carries on. */
  remove(): void;
}

/** `emulator.faults`: the faults injected into the emulator's responses. */
export interface Faults {
  /**
   * Adds `fault` after the faults already there. Each request takes the first fault, in the order
   * added, that matches it and has `remaining` left; only that one.
   *
   * @throws {TypeError} for a fault that is not one of the kinds, or a field out of range
   */
  add(fault: Fault): FaultHandle;
  /** Removes every fault (their handles' `remaining` drops to 0); requests already affected carry on. */
  clear(): void;
}
