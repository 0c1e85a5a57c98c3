import { ROUTE_NAMES, type RouteName } from '../target.js';
import type { DropWhen, Fault, FaultKind } from './types.js';

/** The longest wait a Node timer takes, in ms (2³¹ − 1); longer ones fire at once. */
export const MAX_DELAY_MS = 2_147_483_647;

/** The `when` values of a drop fault. */
export const DROP_WHEN: readonly DropWhen[] = ['before-processing', 'after-processing', 'mid-body'];

const SCOPE_FIELDS = ['kind', 'route', 'projectId', 'imageId', 'times'];
const KIND_FIELDS: Readonly<Record<FaultKind, readonly string[]>> = {
  latency: ['ms'],
  status: ['status', 'retryAfter', 'body', 'contentType'],
  drop: ['when'],
  'slow-body': ['chunkBytes', 'delayMs'],
  malformed: ['body', 'contentType', 'status'],
};

// What Node accepts in a header value (it throws ERR_INVALID_CHAR on anything else, mid-response).
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Checks a fault given to `faults.add` (or built from a CLI spec) and returns a frozen copy with
 * `times` filled in (default 1) and nothing else added. Unknown fields are refused, so a typo such
 * as `time: 2` cannot silently leave the default.
 *
 * @throws {TypeError} naming the first field that is wrong, with what it must be
 */
export function checkFault(input: unknown): Fault {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new TypeError('A fault must be an object such as { kind: "status", status: 503 }.');
  }
  const fields = input as Record<string, unknown>;
  const kind = fields.kind;
  if (typeof kind !== 'string' || !Object.hasOwn(KIND_FIELDS, kind)) {
    throw new TypeError(`fault.kind must be one of ${Object.keys(KIND_FIELDS).join(', ')}; got ${show(kind)}.`);
  }
  const allowed = new Set([...SCOPE_FIELDS, ...KIND_FIELDS[kind as FaultKind]]);
  for (const key of Object.keys(fields)) {
    if (!allowed.has(key))
      throw new TypeError(`fault.${key} is not a field of a ${kind} fault; it has ${[...allowed].join(', ')}.`);
  }

  const out: Record<string, unknown> = { kind };
  if (fields.route !== undefined) {
    if (!ROUTE_NAMES.includes(fields.route as RouteName)) {
      throw new TypeError(
        `fault.route must be one of ${ROUTE_NAMES.join(', ')} (or absent for all); got ${show(fields.route)}.`,
      );
    }
    out.route = fields.route;
  }
  for (const id of ['projectId', 'imageId'] as const) {
    if (fields[id] === undefined) continue;
    if (typeof fields[id] !== 'string' || fields[id] === '')
      throw new TypeError(`fault.${id} must be a non-empty string; got ${show(fields[id])}.`);
    out[id] = fields[id];
  }
  const times = fields.times ?? 1;
  if (times !== Infinity && !(Number.isSafeInteger(times) && (times as number) >= 1)) {
    throw new TypeError(`fault.times must be a whole number ≥ 1 or Infinity; got ${show(times)}.`);
  }
  out.times = times;

  switch (kind as FaultKind) {
    case 'latency':
      out.ms = delay('ms', fields.ms);
      break;
    case 'status':
      out.status = statusCode('status', fields.status, 200, 599);
      if (fields.retryAfter !== undefined) out.retryAfter = retryAfter(fields.retryAfter);
      if (fields.body !== undefined) out.body = body(fields.body);
      if (fields.contentType !== undefined) out.contentType = contentType(fields.contentType);
      break;
    case 'drop':
      if (!DROP_WHEN.includes(fields.when as DropWhen)) {
        throw new TypeError(`fault.when must be one of ${DROP_WHEN.join(', ')}; got ${show(fields.when)}.`);
      }
      out.when = fields.when;
      break;
    case 'slow-body':
      if (!Number.isSafeInteger(fields.chunkBytes) || (fields.chunkBytes as number) < 1) {
        throw new TypeError(`fault.chunkBytes must be a whole number of bytes ≥ 1; got ${show(fields.chunkBytes)}.`);
      }
      out.chunkBytes = fields.chunkBytes;
      out.delayMs = delay('delayMs', fields.delayMs);
      break;
    case 'malformed':
      out.body = body(fields.body);
      if (fields.contentType !== undefined) out.contentType = contentType(fields.contentType);
      if (fields.status !== undefined) out.status = statusCode('status', fields.status, 200, 299);
      break;
  }
  return Object.freeze(out) as unknown as Fault;
}

function delay(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_DELAY_MS) {
    throw new TypeError(
      `fault.${name} must be a number of milliseconds from 0 to ${MAX_DELAY_MS}; got ${show(value)}.`,
    );
  }
  return value;
}

function statusCode(name: string, value: unknown, min: number, max: number): number {
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    throw new TypeError(`fault.${name} must be an HTTP status from ${min} to ${max}; got ${show(value)}.`);
  }
  return value as number;
}

function retryAfter(value: unknown): string {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  if (typeof value === 'string' && value !== '' && HEADER_VALUE.test(value)) return value;
  throw new TypeError(
    `fault.retryAfter must be a header value (seconds, e.g. "1", or an HTTP date) without line breaks; got ${show(value)}.`,
  );
}

function body(value: unknown): string | Uint8Array {
  if (typeof value === 'string') return value;
  // A copy: changing the caller's array afterwards changes no fault.
  if (value instanceof Uint8Array) return Uint8Array.from(value);
  throw new TypeError(`fault.body must be a string or a Uint8Array (send JSON as a string); got ${show(value)}.`);
}

function contentType(value: unknown): string | null {
  if (value === null || (typeof value === 'string' && value !== '' && HEADER_VALUE.test(value))) return value;
  throw new TypeError(
    `fault.contentType must be a header value such as "text/html", or null for none; got ${show(value)}.`,
  );
}

/** A value for an error message: short, and never more than 60 characters of it. */
function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (value instanceof Uint8Array) return `a Uint8Array of ${value.length} bytes`;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined)
    return String(value);
  return typeof value;
}
