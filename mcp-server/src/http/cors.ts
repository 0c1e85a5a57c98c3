/**
 * CORS for browser clients (the MCP Inspector's direct mode, web apps): only for an `Origin`
 * that passed the Origin check, and echoed rather than `*`, since a wildcard would let any
 * site's page drive a server on the user's machine (a DNS-rebinding and CSRF hole).
 * @param origin the request's `Origin` header, already validated
 */
export function corsHeaders(origin: string | string[] | undefined): Record<string, string> {
  if (typeof origin !== 'string' || !origin) return {};
  return {
    'access-control-allow-origin': origin,
    vary: 'Origin',
    'access-control-expose-headers': 'mcp-session-id, mcp-protocol-version, www-authenticate',
  };
}

/** The answer to a CORS preflight (`OPTIONS`): which methods and headers a browser may send. */
export function preflightResponse(cors: Record<string, string>): Response {
  return new Response(null, {
    status: 204,
    headers: {
      ...cors,
      'access-control-allow-methods': 'GET, POST, DELETE, OPTIONS',
      'access-control-allow-headers':
        'authorization, content-type, accept, mcp-protocol-version, mcp-session-id, last-event-id, x-genimix-api-key, x-genimix-project-id',
      'access-control-max-age': '600',
    },
  });
}
