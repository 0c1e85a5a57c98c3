import { STATUS_CODES } from 'node:http';
import { bodyReply, errorReply, type Reply } from '../respond.js';
import type { MalformedFault, StatusFault } from './types.js';

/** The reply of a status fault: its raw body, or the contract's JSON error; with its `Retry-After`. */
export function statusReply(fault: StatusFault): Reply {
  const headers: Record<string, string> = {};
  if (fault.retryAfter !== undefined) headers['Retry-After'] = String(fault.retryAfter);
  if (fault.body !== undefined) {
    return bodyReply(
      fault.status,
      fault.body,
      fault.contentType === undefined ? 'text/plain; charset=utf-8' : fault.contentType,
      headers,
    );
  }
  const text = STATUS_CODES[fault.status] ?? `Status ${fault.status}`;
  return errorReply(fault.status, `${text} (a fault injected by the emulator).`, headers);
}

/** The reply of a malformed fault: its body as given, with a 2xx status. */
export function malformedReply(fault: MalformedFault): Reply {
  return bodyReply(
    fault.status ?? 200,
    fault.body,
    fault.contentType === undefined ? 'application/json; charset=utf-8' : fault.contentType,
  );
}
