import { SETTINGS } from './config.js';

/** The text of `genimix-mcp --help`: what the command does, its flags and every environment variable. */
export function usage(): string {
  const width = Math.max(...SETTINGS.map((s) => s.name.length));
  const variables = SETTINGS.map(
    (s) => `  ${s.name.padEnd(width)}  ${s.required ? '(required) ' : ''}${s.description}`,
  ).join('\n');
  return `Usage: genimix-mcp [--help] [--version] [--] [folder ...]

The Genimix MCP server: generate, fetch, upload and delete images with the Genimix API from
Claude and other MCP hosts. It speaks MCP on stdin/stdout; the host starts it. Tools:
generate_image, get_image, upload_image, delete_image, list_models; resource template
genimix://images/{projectId}/{imageId} (the full image).

Arguments:
  folder         a folder upload_image may read a path from, beside GENIMIX_ALLOWED_DIRS
  --             what follows is folders, even a name starting with "-"

Options:
  -h, --help     print this help and exit
  -v, --version  print the version and exit

Environment:
${variables}

Example (Claude Code):
  claude mcp add genimix -e GENIMIX_API_KEY=sk_... -e GENIMIX_PROJECT_ID=my-project -- npx -y @genimix/mcp-server
`;
}
