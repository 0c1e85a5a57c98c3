import { SETTINGS } from './config.js';
import { HTTP_SETTINGS } from './http/variables.js';

/** The text of `genimix-mcp --help`: what the command does, its flags and every environment variable. */
export function usage(): string {
  const width = Math.max(...SETTINGS.map((s) => s.name.length));
  const variables = SETTINGS.map(
    (s) => `  ${s.name.padEnd(width)}  ${s.required ? '(required) ' : ''}${s.description}`,
  ).join('\n');
  const httpWidth = Math.max(...HTTP_SETTINGS.map(([name]) => name.length));
  const httpVariables = HTTP_SETTINGS.map(([name, text]) => `  ${name.padEnd(httpWidth)}  ${text}`).join('\n');
  return `Usage: genimix-mcp [--help] [--version] [--] [folder ...]
       genimix-mcp --http [--host 127.0.0.1] [--port 3000]

The Genimix MCP server: generate, fetch, upload and delete images with the Genimix API from
Claude and other MCP hosts. It speaks MCP on stdin/stdout, where the host starts it, or with
--http over Streamable HTTP at /mcp for remote clients (stateless: run several behind a load
balancer). Tools:
generate_image, get_image, upload_image, delete_image, list_models; resource template
genimix://images/{projectId}/{imageId} (the full image).

Arguments:
  folder         a folder upload_image may read a path from, beside GENIMIX_ALLOWED_DIRS
  --             what follows is folders, even a name starting with "-"

Options:
  -h, --help     print this help and exit
  -v, --version  print the version and exit
  --http         serve MCP over Streamable HTTP at /mcp (GET /healthz answers without auth)
  --host ADDR    address to listen on with --http (default 127.0.0.1; any other needs auth)
  --port N       TCP port with --http (default 3000; 0 picks a free one)

Environment:
${variables}

Environment of --http (the Genimix key and project as above; no file is written or read):
${httpVariables}

Example (Claude Code):
  claude mcp add genimix -e GENIMIX_API_KEY=sk_... -e GENIMIX_PROJECT_ID=my-project -- npx -y @genimix/mcp-server

Example (remote, behind a TLS proxy):
  export GENIMIX_MCP_TOKEN=$(openssl rand -hex 32)   # give this to the clients
  GENIMIX_MCP_TOKENS=$GENIMIX_MCP_TOKEN GENIMIX_MCP_PUBLIC_URL=https://mcp.example.com/mcp \\
    genimix-mcp --http --port 3000
  claude mcp add --transport http genimix https://mcp.example.com/mcp --header "Authorization: Bearer $GENIMIX_MCP_TOKEN"
`;
}
