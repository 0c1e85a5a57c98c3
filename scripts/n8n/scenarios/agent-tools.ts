/**
 * The node as an AI tool through n8n's own tool wrapper: an MCP Server Trigger serves three
 * `genimixTool` nodes (Generate, Get, Delete) whose parameters the caller fills with `$fromAI()`,
 * plus an Upload tool saved from outside the editor (the editor does not offer it). A real MCP
 * client, as an agent would, lists and calls them over Streamable HTTP. Checks: each answer is
 * self-sufficient JSON (ids, imageUrl, and for an image its type, size and pixels); Generate
 * downloads nothing the agent cannot see; Upload answers with its reason and sends nothing.
 */
import { randomUUID } from 'node:crypto';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { Workflow, WorkflowNode } from '../execution.js';
import type { Scenario } from '../scenario.js';
import { MCP_TRIGGER } from '../workflows.js';

const TRIGGER = 'MCP Server Trigger';
const PATH = 'genimix-tools';
const fromAI = (key: string, description: string) => `={{ $fromAI('${key}', '${description}', 'string') }}`;
const IMAGE_ID = fromAI('imageId', 'The image ID: letters, digits, dots, dashes and underscores');

function tool(name: string, parameters: Record<string, unknown>, index: number): WorkflowNode {
  return {
    id: randomUUID(),
    name,
    type: 'n8n-nodes-genimix.genimixTool',
    typeVersion: 1,
    position: [200 * index, 300],
    parameters: { resource: 'image', ...parameters },
    credentials: { genimixApi: { id: 'placeholder', name: 'placeholder' } },
  };
}

const tools = [
  tool(
    'Generate_image',
    {
      operation: 'generate',
      model: 'openai/dall-e-3',
      prompt: fromAI('prompt', 'What the image should show'),
      imageId: IMAGE_ID,
    },
    0,
  ),
  tool('Get_image', { operation: 'get', imageId: IMAGE_ID }, 1),
  tool('Delete_image', { operation: 'delete', imageId: IMAGE_ID }, 2),
  tool('Upload_image', { operation: 'upload', imageId: IMAGE_ID }, 3),
];

const workflow: Workflow = {
  id: 'GenimixAgentTools',
  name: 'Genimix tools served over MCP',
  nodes: [
    {
      id: randomUUID(),
      name: TRIGGER,
      type: MCP_TRIGGER,
      typeVersion: 2,
      position: [300, 0],
      webhookId: randomUUID(),
      parameters: { path: PATH },
    },
    ...tools,
  ],
  connections: Object.fromEntries(
    tools.map((t) => [t.name, { ai_tool: [[{ node: TRIGGER, type: 'ai_tool', index: 0 }]] }]),
  ) as Workflow['connections'],
  settings: { executionOrder: 'v1' },
};

/** The JSON of a tool's answer: n8n sends the items' JSON as text (an array of one item here). */
function answerOf(result: unknown): {
  text: string;
  json: Record<string, unknown> | undefined;
  isError: boolean;
  types: string[];
} {
  const { content = [], isError = false } = result as {
    content?: Array<{ type: string; text?: string }>;
    isError?: boolean;
  };
  const text = content.map((c) => c.text ?? '').join('\n');
  let json: Record<string, unknown> | undefined;
  try {
    const value = JSON.parse(text) as unknown;
    json = (Array.isArray(value) ? value[0] : value) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { text, json, isError, types: content.map((c) => c.type) };
}

export default {
  name: 'agent-tools',
  title: 'the node as AI tools (genimixTool) behind an MCP Server Trigger, called by a real MCP client',
  emulator: { profile: 'realistic', latencyScale: 0.01 },
  workflows: [workflow],
  async check(ctx, c) {
    const { standIn, instance } = ctx;
    await instance.waitForWebhook(PATH);
    const client = new Client({ name: 'genimix-agent-check', version: '0.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${instance.port}/mcp/${PATH}`)));
    try {
      const listed = await client.listTools();
      const names = listed.tools.map((t) => t.name).sort();
      c.equal(
        names.join(','),
        'Delete_image,Generate_image,Get_image,Upload_image',
        'tools/list names the four tool nodes',
      );
      const generateTool = listed.tools.find((t) => t.name === 'Generate_image');
      const inputs = Object.keys(
        (generateTool?.inputSchema as { properties?: object } | undefined)?.properties ?? {},
      ).sort();
      c.equal(inputs.join(','), 'imageId,prompt', "Generate's input schema is what $fromAI asks for");

      const before = standIn.requests.length;
      const generated = answerOf(
        await client.callTool({
          name: 'Generate_image',
          arguments: { prompt: 'A lighthouse at dusk', imageId: 'agent-1' },
        }),
      );
      const imageUrl = `${standIn.url}/v1/${ctx.projectId}/image/agent-1`;
      c.ok(!generated.isError && generated.json, `Generate answers with JSON: ${generated.text.slice(0, 300)}`);
      c.equal(
        JSON.stringify(generated.json),
        JSON.stringify({
          imageId: 'agent-1',
          projectId: ctx.projectId,
          imageUrl,
          provider: 'openai',
          modelId: 'dall-e-3',
        }),
        'Generate: imageId, projectId, imageUrl, provider, modelId',
      );
      const generateRequests = standIn.requests.slice(before).map((r) => `${r.method} ${r.path}`);
      c.equal(
        generateRequests.join(', '),
        `PUT /v1/${ctx.projectId}/generate/agent-1`,
        'Generate as a tool downloads nothing: one request to Genimix',
      );

      const got = answerOf(await client.callTool({ name: 'Get_image', arguments: { imageId: 'agent-1' } }));
      const stored = await standIn.emulator.store.get(ctx.projectId, 'agent-1');
      c.ok(!got.isError && got.json, `Get answers with JSON: ${got.text.slice(0, 300)}`);
      c.equal(got.types.join(','), 'text', 'Get: text only, no binary or image the agent could not use');
      for (const [key, value] of Object.entries({
        imageId: 'agent-1',
        projectId: ctx.projectId,
        imageUrl,
        mimeType: 'image/png',
        size: stored?.size,
        width: 1024,
        height: 1024,
      })) {
        c.equal(got.json?.[key], value, `Get: ${key}`);
      }

      const beforeUpload = standIn.requests.length;
      const upload = answerOf(await client.callTool({ name: 'Upload_image', arguments: { imageId: 'agent-2' } }));
      c.ok(
        /Upload is not available as an AI Agent tool/.test(upload.text) && /cannot pass binary data/.test(upload.text),
        `Upload as a tool answers with its reason: ${upload.text.slice(0, 300)}`,
      );
      c.equal(standIn.requests.length - beforeUpload, 0, 'Upload as a tool sends nothing');

      const deleted = answerOf(await client.callTool({ name: 'Delete_image', arguments: { imageId: 'agent-1' } }));
      c.equal(
        JSON.stringify(deleted.json),
        JSON.stringify({ deleted: true, imageId: 'agent-1', projectId: ctx.projectId, imageUrl }),
        'Delete: deleted, imageId, projectId, imageUrl',
      );
      c.equal(await standIn.emulator.store.has(ctx.projectId, 'agent-1'), false, 'the image is gone from the store');
      return [`Tools: ${names.join(', ')}`, `Get answered: ${got.text.slice(0, 200)}`];
    } finally {
      await client.close();
    }
  },
} satisfies Scenario;
