/**
 * The API operation a request is for, read from its method and path alone (before the key or the
 * ids are checked), so that faults and the request log can name it the way the contract does.
 */

/** The contract's four operations. `get` includes HEAD, which is a GET without a body. */
export type RouteName = 'generate' | 'upload' | 'get' | 'delete';

/** The names {@link RouteName} takes, in the contract's order. */
export const ROUTE_NAMES: readonly RouteName[] = ['generate', 'upload', 'get', 'delete'];

/** What a request is for; every field is absent for a request that is none of the operations. */
export interface RequestTarget {
  readonly route?: RouteName;
  /** The decoded `:projectId` segment, as sent (not yet checked). */
  readonly projectId?: string;
  /** The decoded `:imageId` segment, as sent (not yet checked). */
  readonly imageId?: string;
}

/**
 * The operation of `method` on `path` (no query string): `PUT /v1/:p/generate/:i` is `generate`;
 * `PUT`, `GET`/`HEAD` and `DELETE` on `/v1/:p/image/:i` are `upload`, `get` and `delete`.
 * Anything else (an unknown path, a method the route does not have) is `{}`.
 */
export function targetOf(method: string, path: string): RequestTarget {
  const segments = path.split('/');
  if (segments.length !== 5 || segments[0] !== '' || segments[1] !== 'v1') return {};
  const [, , rawProject, kind, rawImage] = segments as [string, string, string, string, string];
  const route = routeName(method, kind);
  if (!route) return {};
  const projectId = decode(rawProject);
  const imageId = decode(rawImage);
  return {
    route,
    ...(projectId === undefined ? {} : { projectId }),
    ...(imageId === undefined ? {} : { imageId }),
  };
}

function routeName(method: string, kind: string): RouteName | undefined {
  if (kind === 'generate') return method === 'PUT' ? 'generate' : undefined;
  if (kind !== 'image') return undefined;
  if (method === 'PUT') return 'upload';
  if (method === 'GET' || method === 'HEAD') return 'get';
  if (method === 'DELETE') return 'delete';
  return undefined;
}

// A segment that does not decode has no id to match: the request is answered 400 when handled.
function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
