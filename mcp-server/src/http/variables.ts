/** The variables of `--http` mode, as `--help` lists them. */
export const HTTP_SETTINGS = [
  ['GENIMIX_MCP_TOKENS', 'bearer tokens clients must send (comma-separated, each at least 16 characters)'],
  [
    'GENIMIX_MCP_OAUTH_ISSUER',
    'an OAuth 2.1 issuer whose JWT access tokens are accepted (with GENIMIX_MCP_OAUTH_AUDIENCE)',
  ],
  [
    'GENIMIX_MCP_OAUTH_AUDIENCE',
    "the audience ('aud') those tokens must be issued for, usually GENIMIX_MCP_PUBLIC_URL",
  ],
  ['GENIMIX_MCP_PUBLIC_URL', 'the URL clients use to reach /mcp, e.g. https://mcp.example.com/mcp behind a TLS proxy'],
  [
    'GENIMIX_MCP_ALLOWED_HOSTS',
    "more Host names to accept, comma-separated (localhost and the public URL's are accepted)",
  ],
  ['GENIMIX_MCP_ALLOWED_ORIGINS', 'browser Origin host names to accept, comma-separated (localhost ones are accepted)'],
  [
    'GENIMIX_CLIENT_KEYS',
    'set to "allow" to let each request bring its own key and project (X-Genimix-Api-Key, X-Genimix-Project-Id)',
  ],
  ['GENIMIX_MCP_DRAIN_MS', 'after SIGTERM, how long calls in flight may finish before exit, in ms (default 25000)'],
] as const;
