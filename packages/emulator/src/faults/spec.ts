import { ROUTE_NAMES, type RouteName } from '../target.js';
import { checkFault, DROP_WHEN, MAX_DELAY_MS } from './check.js';
import type { DropWhen, Fault, FaultKind } from './types.js';

/**
 * The compact fault spec of the CLI's `--fault`, also usable from code with
 * {@link parseFaultSpec}:
 *
 * ```text
 * <operation>:<fault>[,<option>=<value>]...
 *   operation  generate | upload | get | delete | any
 *   fault      latency=<ms> | status=<code> | drop=before-processing|after-processing|mid-body
 *              | slow-body=<chunkBytes>/<delayMs> | malformed=json|broken-json|html|text|empty
 *   options    times=<n>|inf (default 1), project=<id>, image=<id>;
 *              status: retry-after=<value>, body=<text>, content-type=<type>|none;
 *              malformed: body=<text>, content-type=<type>|none, status=<2xx>
 * ```
 *
 * A value with a comma goes in double quotes (`retry-after="Wed, 21 Oct 2026 07:28:00 GMT"`),
 * with `\"` and `\\` inside them.
 */
export const FAULT_SPEC_SYNTAX = '<operation>:<fault>[,<option>=<value>]...';

/** The bodies `malformed=<name>` sends, with their content types. */
export const MALFORMED_PRESETS: Readonly<Record<string, { readonly body: string; readonly contentType: string }>> =
  Object.freeze({
    // A success without the contract's fields (no imageUrl, no deleted); JSON where Get has an image.
    json: { body: '{"success":true,"message":"OK"}', contentType: 'application/json; charset=utf-8' },
    // Cut off mid-value, with a Content-Length that matches: the body is whole, the JSON is not.
    'broken-json': { body: '{"success":true,"imageUrl":"http://', contentType: 'application/json; charset=utf-8' },
    // What a captive portal or a misrouted proxy answers with 200.
    html: {
      body: '<!DOCTYPE html><html><head><title>Sign in</title></head><body><h1>Sign in to continue</h1><p>This network requires you to sign in.</p></body></html>',
      contentType: 'text/html; charset=utf-8',
    },
    text: { body: 'OK', contentType: 'text/plain; charset=utf-8' },
    empty: { body: '', contentType: 'application/json; charset=utf-8' },
  });

/** A fault spec that does not parse. `detail` names the bad part, without repeating the whole spec. */
export class FaultSpecError extends TypeError {
  override name = 'FaultSpecError';
  /** What is wrong, naming the part of the spec: e.g. `"status=99": the status must be ...`. */
  readonly detail: string;

  constructor(spec: string, detail: string) {
    super(`Fault spec ${JSON.stringify(spec)}: ${detail}`);
    this.detail = detail;
  }
}

const OPERATIONS = [...ROUTE_NAMES, 'any'] as const;
const KIND_USAGE = 'latency=<ms>, status=<code>, drop=<when>, slow-body=<chunkBytes>/<delayMs> or malformed=<preset>';
const COMMON_OPTIONS = ['times', 'project', 'image'];
const OPTIONS: Readonly<Record<FaultKind, readonly string[]>> = {
  latency: COMMON_OPTIONS,
  status: [...COMMON_OPTIONS, 'retry-after', 'body', 'content-type'],
  drop: COMMON_OPTIONS,
  'slow-body': COMMON_OPTIONS,
  malformed: [...COMMON_OPTIONS, 'body', 'content-type', 'status'],
};

/**
 * Parses a compact fault spec (see {@link FAULT_SPEC_SYNTAX}) into a checked {@link Fault}.
 *
 * ```ts
 * parseFaultSpec('get:status=503,times=2,retry-after=1');
 * // { kind: 'status', route: 'get', status: 503, retryAfter: '1', times: 2 }
 * ```
 *
 * @throws {FaultSpecError} naming the part that is wrong and what it must be
 */
export function parseFaultSpec(spec: string): Fault {
  const fail = (detail: string): never => {
    throw new FaultSpecError(spec, detail);
  };
  if (typeof spec !== 'string' || spec.trim() === '')
    fail(`empty: write ${FAULT_SPEC_SYNTAX}, e.g. get:status=503,times=2.`);
  const colon = spec.indexOf(':');
  if (colon < 0)
    fail(`no operation: start with one of ${OPERATIONS.map((o) => `${o}:`).join(', ')} (e.g. get:status=503).`);
  const operation = spec.slice(0, colon).trim();
  if (!(OPERATIONS as readonly string[]).includes(operation))
    fail(`"${operation}": unknown operation; use ${OPERATIONS.join(', ')}.`);

  const after = spec.slice(colon + 1);
  if (after.trim() === '') fail(`no fault after "${operation}:": use ${KIND_USAGE}.`);
  const [first, ...rest] = splitItems(after, fail);
  const fault: Record<string, unknown> = { ...(operation === 'any' ? {} : { route: operation as RouteName }) };
  const kind = parseKind(first!, fault, fail);

  const seen = new Set<string>();
  for (const item of rest) {
    if (item.value === undefined) fail(`"${item.raw}": an option needs a value, as in times=2.`);
    if (!OPTIONS[kind].includes(item.name))
      fail(`"${item.raw}": unknown option for a ${kind} fault; use ${OPTIONS[kind].join(', ')}.`);
    if (seen.has(item.name)) fail(`"${item.raw}": ${item.name} is given twice.`);
    seen.add(item.name);
    parseOption(kind, item as Item & { value: string }, fault, fail);
  }
  if (kind === 'malformed' && fault.body === undefined)
    fail(`"${first!.raw}": say which body, as in malformed=html or malformed,body="...".`);

  try {
    return checkFault(fault);
  } catch (err) {
    // Not expected: every part was checked above. Kept so that a gap shows as a clear message.
    return fail((err as Error).message);
  }
}

/** One `name` or `name=value` of a spec, with the text it came from. */
interface Item {
  readonly name: string;
  readonly value: string | undefined;
  readonly raw: string;
}

/** Splits the part after the colon into items at commas outside double quotes. */
function splitItems(text: string, fail: (detail: string) => never): Item[] {
  const items: Item[] = [];
  let i = 0;
  for (;;) {
    const start = i;
    while (i < text.length && text[i] !== '=' && text[i] !== ',') i++;
    const name = text.slice(start, i).trim();
    let value: string | undefined;
    if (text[i] === '=') {
      i++;
      if (text[i] === '"') {
        value = '';
        for (i++; ; ) {
          if (i >= text.length) fail(`"${text.slice(start)}": the quoted value has no closing ".`);
          const c = text[i++]!;
          if (c === '"') break;
          // \" and \\ inside quotes stand for " and \.
          value += c === '\\' && i < text.length ? text[i++]! : c;
        }
        if (i < text.length && text[i] !== ',')
          fail(`"${text.slice(start, nextComma(text, i))}": put a comma right after the closing ".`);
      } else {
        const end = nextComma(text, i);
        value = text.slice(i, end).trim();
        i = end;
        if (value.includes('"'))
          fail(
            `"${text.slice(start, i).trim()}": a value with a quote in it must be quoted whole, as in body="say \\"hi\\"".`,
          );
      }
    }
    const raw = text.slice(start, i).trim();
    if (name === '')
      fail(raw === '' ? 'an empty part between commas: remove the extra comma.' : `"${raw}": a value without a name.`);
    items.push({ name, value, raw });
    if (i >= text.length) return items;
    i++; // past the comma
    if (i >= text.length) fail('a trailing comma: remove it.');
  }
}

function nextComma(text: string, from: number): number {
  const at = text.indexOf(',', from);
  return at < 0 ? text.length : at;
}

function parseKind(item: Item, fault: Record<string, unknown>, fail: (detail: string) => never): FaultKind {
  const { name, value, raw } = item;
  switch (name) {
    case 'latency':
      fault.kind = 'latency';
      fault.ms = whole(raw, value, 0, MAX_DELAY_MS, 'the latency must be a whole number of milliseconds', fail);
      return 'latency';
    case 'status':
      fault.kind = 'status';
      fault.status = whole(raw, value, 200, 599, 'the status must be an HTTP status', fail);
      return 'status';
    case 'drop':
      fault.kind = 'drop';
      if (!DROP_WHEN.includes(value as DropWhen))
        fail(`"${raw}": say when to drop: drop=${DROP_WHEN.join(', drop=')}.`);
      fault.when = value;
      return 'drop';
    case 'slow-body': {
      fault.kind = 'slow-body';
      const match = /^(\d+)\/(\d+)$/.exec(value ?? '');
      if (!match) fail(`"${raw}": write slow-body=<chunkBytes>/<delayMs>, e.g. slow-body=1024/50.`);
      fault.chunkBytes = whole(
        raw,
        match![1],
        1,
        Number.MAX_SAFE_INTEGER,
        'the chunk size must be a whole number of bytes',
        fail,
      );
      fault.delayMs = whole(raw, match![2], 0, MAX_DELAY_MS, 'the delay must be a whole number of milliseconds', fail);
      return 'slow-body';
    }
    case 'malformed': {
      fault.kind = 'malformed';
      if (value === undefined) return 'malformed';
      const preset = Object.hasOwn(MALFORMED_PRESETS, value) ? MALFORMED_PRESETS[value] : undefined;
      if (!preset)
        fail(
          `"${raw}": unknown body; use malformed=${Object.keys(MALFORMED_PRESETS).join(', malformed=')}, or body="...".`,
        );
      fault.body = preset!.body;
      fault.contentType = preset!.contentType;
      return 'malformed';
    }
    default:
      return fail(`"${raw}": unknown fault; use ${KIND_USAGE}.`);
  }
}

function parseOption(
  kind: FaultKind,
  item: Item & { value: string },
  fault: Record<string, unknown>,
  fail: (detail: string) => never,
): void {
  const { name, value, raw } = item;
  switch (name) {
    case 'times':
      fault.times =
        value === 'inf'
          ? Infinity
          : whole(raw, value, 1, Number.MAX_SAFE_INTEGER, 'times must be a whole number (or inf)', fail);
      return;
    case 'project':
    case 'image':
      if (value === '') fail(`"${raw}": give an id.`);
      fault[name === 'project' ? 'projectId' : 'imageId'] = value;
      return;
    case 'retry-after':
      if (value === '' || !/^[\t\x20-\x7e]*$/.test(value))
        fail(`"${raw}": give seconds or an HTTP date (quoted, it has a comma).`);
      fault.retryAfter = value;
      return;
    case 'body':
      fault.body = value;
      return;
    case 'content-type':
      if (value === '' || !/^[\t\x20-\x7e]*$/.test(value)) fail(`"${raw}": give a type such as text/html, or none.`);
      fault.contentType = value === 'none' ? null : value;
      return;
    case 'status':
      // Only malformed has a status option (a status fault's status is its fault part).
      fault.status = whole(raw, value, 200, 299, `a ${kind} body's status must be a success status`, fail);
      return;
  }
}

function whole(
  raw: string,
  value: string | undefined,
  min: number,
  max: number,
  what: string,
  fail: (detail: string) => never,
): number {
  const n = Number(value);
  if (value === undefined || !/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
    return fail(`"${raw}": ${what} ${max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`}.`);
  }
  return n;
}

/**
 * A short description of a fault for humans (the CLI's start line), e.g.
 * `get: status 503 (Retry-After 1), 2 times` or `any: latency 200 ms, every time`.
 */
export function describeFault(fault: Fault): string {
  const where = [
    fault.route ?? 'any',
    fault.projectId && `project ${fault.projectId}`,
    fault.imageId && `image ${fault.imageId}`,
  ]
    .filter(Boolean)
    .join(' ');
  const times = fault.times ?? 1;
  const count = times === Infinity ? 'every time' : times === 1 ? 'once' : `${times} times`;
  return `${where}: ${what(fault)}, ${count}`;
}

function what(fault: Fault): string {
  switch (fault.kind) {
    case 'latency':
      return `latency ${fault.ms} ms`;
    case 'status':
      return `status ${fault.status}${fault.retryAfter === undefined ? '' : ` (Retry-After ${fault.retryAfter})`}`;
    case 'drop':
      return `drop ${fault.when}`;
    case 'slow-body':
      return `slow body ${fault.chunkBytes} B every ${fault.delayMs} ms`;
    case 'malformed':
      return `malformed ${fault.status ?? 200} ${fault.contentType === null ? 'without a type' : (fault.contentType ?? 'application/json')}`;
  }
}
