/**
 * Runs the Genimix n8n node the way n8n 2.41 runs it, with n8n's own code wherever it matters:
 *
 * - n8n-workflow's `Workflow` (parameter defaults, expression engine, parameter validation);
 * - n8n-core's `ExecuteContext`, constructed and called exactly as `WorkflowExecute.executeNode`
 *   does (`nodeType.execute.call(context)`, close functions run afterwards, hints collected);
 * - n8n-core's request helpers: `httpRequestWithAuthentication` reaches the network through
 *   `OutboundHttp` from `@n8n/backend-network` (axios over Node's `http`);
 * - n8n-core's `BinaryDataService` from the DI container, in memory (`default`) or filesystem mode
 *   (a temporary folder), so `prepareBinaryData`, `getBinaryDataBuffer`, `getBinaryStream` are real;
 * - n8n-core's `CredentialTestContext` for the credential test.
 *
 * The one stand-in is the credentials helper (n8n's lives in the `n8n` CLI package, behind a
 * database): it hands out the given credential data with the credential type's defaults applied
 * (n8n-workflow's `NodeHelpers.getNodeParameters`, as `applyDefaultsAndOverwrites` does), and its
 * `authenticate`/`preAuthentication`/`getParentTypes` repeat the CLI's `CredentialsHelper`, with
 * `={{$credentials.apiKey}}` resolved by n8n-workflow's expression engine.
 *
 * Everything n8n is loaded with `require` (CommonJS), as n8n itself loads it: the ESM builds of
 * these packages would be other module instances (another `Container`, another `NodeApiError`).
 */
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  IBinaryData,
  ICredentialDataDecryptedObject,
  ICredentialsDecrypted,
  ICredentialType,
  IDataObject,
  IExecuteData,
  IHttpRequestOptions,
  INode,
  INodeCredentialTestResult,
  INodeExecutionData,
  INodeParameters,
  INodeType,
  INodeTypes,
  IRunExecutionData,
  IWorkflowExecuteAdditionalData,
  NodeExecutionHint,
  Workflow as WorkflowType,
} from 'n8n-workflow';
import { afterAll } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');

// n8n reads its settings from the environment once, when its config classes are first built.
// Everything goes to a private temporary folder: no ~/.n8n is read or written.
const n8nHome = mkdtempSync(path.join(os.tmpdir(), 'genimix-node-harness-'));
// Removed after the test file that loaded the harness (vitest ends its workers without 'exit').
afterAll(() => rmSync(n8nHome, { recursive: true, force: true }));
process.env.N8N_USER_FOLDER = n8nHome;
process.env.N8N_ENCRYPTION_KEY ??= 'genimix-node-tests';
process.env.N8N_LOG_LEVEL ??= 'silent';
process.env.N8N_DIAGNOSTICS_ENABLED = 'false';
process.env.N8N_BINARY_DATA_STORAGE_PATH = path.join(n8nHome, 'binary-data');

const require = createRequire(import.meta.url);

const workflowLib = require('n8n-workflow') as typeof import('n8n-workflow');
const core = require('n8n-core') as typeof import('n8n-core');
/** n8n's DI container, the one n8n-core resolves its services from. */
export const Container: typeof import('@n8n/di')['Container'] = (require('@n8n/di') as typeof import('@n8n/di'))
  .Container;

export const { NodeApiError, NodeOperationError, NodeHelpers, Workflow } = workflowLib;
export const { BinaryDataService, BinaryDataConfig } = core;

/** Where the built node package is: the real one by default, another `dist` for harness self-tests. */
export const NODE_DIST = process.env.GENIMIX_N8N_DIST
  ? path.resolve(process.env.GENIMIX_N8N_DIST)
  : path.join(repoRoot, 'nodes', 'dist');

export const NODE_TYPE = 'n8n-nodes-genimix.genimix';
export const CREDENTIAL_TYPE = 'genimixApi';
export const NODE_NAME = 'Genimix';

export interface GenimixCredentials {
  apiKey: string;
  projectId: string;
  baseUrl?: string;
}

export interface LoadedNode {
  nodeType: INodeType;
  credentialType: ICredentialType;
}

const loaded = new Map<string, LoadedNode>();

/**
 * Loads the built node and credential classes from a `dist` folder (as n8n does: `require` the
 * CommonJS file, instantiate the exported class), once per folder.
 */
export function loadNode(dist: string = NODE_DIST): LoadedNode {
  const cached = loaded.get(dist);
  if (cached) return cached;
  const nodeFile = path.join(dist, 'nodes', 'Genimix', 'Genimix.node.js');
  const credentialFile = path.join(dist, 'credentials', 'GenimixApi.credentials.js');
  if (!existsSync(nodeFile) || !existsSync(credentialFile)) {
    throw new Error(`The built node is missing (${nodeFile}): run "pnpm --filter n8n-nodes-genimix build" first.`);
  }
  assertSameN8nWorkflow(nodeFile);
  const { Genimix } = require(nodeFile) as { Genimix: new () => INodeType };
  const { GenimixApi } = require(credentialFile) as { GenimixApi: new () => ICredentialType };
  const result = { nodeType: new Genimix(), credentialType: new GenimixApi() };
  loaded.set(dist, result);
  return result;
}

/**
 * The node must see the very n8n-workflow that n8n-core uses (as inside n8n, where it is a peer),
 * or `instanceof NodeApiError` and n8n's error handling would be comparing two different classes.
 */
function assertSameN8nWorkflow(nodeFile: string): void {
  const fromNode = realpathSync(require.resolve('n8n-workflow', { paths: [path.dirname(nodeFile)] }));
  const fromCore = realpathSync(createRequire(realpathSync(require.resolve('n8n-core'))).resolve('n8n-workflow'));
  if (fromNode !== fromCore) {
    throw new Error(
      `The node under test resolves n8n-workflow to ${fromNode}, but n8n-core uses ${fromCore}: ` +
        'install the same n8n-workflow version (2.41.0) for both, as n8n has one copy.',
    );
  }
}

class SingleNodeTypes implements INodeTypes {
  constructor(private readonly nodeType: INodeType) {}
  getByName(type: string): INodeType {
    // `…Tool` is the variant n8n registers for a node `usableAsTool` (run by an AI Agent).
    if (type !== NODE_TYPE && type !== `${NODE_TYPE}Tool`) throw new Error(`Unknown node type ${type}`);
    return this.nodeType;
  }
  /** The node is a plain (not versioned) INodeType with version 1: every version is the one class. */
  getByNameAndVersion(type: string): INodeType {
    return this.getByName(type);
  }
  getKnownTypes() {
    return {};
  }
}

/**
 * The credentials side of `additionalData`: what n8n's CLI `CredentialsHelper` does for a credential
 * stored with `data`, without the database.
 */
export class TestCredentialsHelper {
  /** Every `authenticate` call, to check what the node sent through n8n's auth. */
  readonly authenticated: IHttpRequestOptions[] = [];

  constructor(
    private readonly credentialType: ICredentialType,
    private readonly data: ICredentialDataDecryptedObject | undefined,
  ) {}

  private typeByName(name: string): ICredentialType {
    if (name !== this.credentialType.name) throw new Error(`Unknown credential type ${name}`);
    return this.credentialType;
  }

  getParentTypes(name: string): string[] {
    return [...(this.typeByName(name).extends ?? [])];
  }

  getCredentialsProperties(name: string) {
    return this.typeByName(name).properties;
  }

  isCredentialUsableByNode(): boolean {
    return true;
  }

  /** n8n's `applyDefaultsAndOverwrites` (no overwrites configured), then its expression resolution. */
  applyDefaults(type: string, data: ICredentialDataDecryptedObject): ICredentialDataDecryptedObject {
    const properties = this.getCredentialsProperties(type);
    return (NodeHelpers.getNodeParameters(properties, data as INodeParameters, true, false, null, null) ??
      {}) as ICredentialDataDecryptedObject;
  }

  async getDecrypted(
    additionalData: IWorkflowExecuteAdditionalData,
    _nodeCredentials: unknown,
    type: string,
    mode: string,
    executeData?: IExecuteData,
    raw?: boolean,
    expressionResolveValues?: {
      connectionInputData: INodeExecutionData[];
      itemIndex: number;
      node: INode;
      runExecutionData: IRunExecutionData;
      runIndex: number;
      workflow: WorkflowType;
    },
  ): Promise<ICredentialDataDecryptedObject> {
    if (this.data === undefined) throw new Error(`Credential of type "${type}" not found`);
    const original = structuredClone(this.data);
    if (raw === true) return original;
    let decrypted = this.applyDefaults(type, original);
    if (expressionResolveValues) {
      const additionalKeys = core.getAdditionalKeys(additionalData, mode as never, null, { isCredential: true });
      decrypted = expressionResolveValues.workflow.expression.getParameterValue(
        decrypted as INodeParameters,
        expressionResolveValues.runExecutionData,
        expressionResolveValues.runIndex,
        expressionResolveValues.itemIndex,
        expressionResolveValues.node.name,
        expressionResolveValues.connectionInputData,
        mode as never,
        additionalKeys,
        executeData,
        false,
        decrypted as INodeParameters,
      ) as ICredentialDataDecryptedObject;
    }
    return decrypted;
  }

  async getCredentials(): Promise<never> {
    throw new Error('Not used by httpRequestWithAuthentication');
  }

  async updateCredentials(): Promise<void> {}
  async updateCredentialsOauthTokenData(): Promise<void> {}

  /** The CLI's `preAuthentication`: nothing to do unless the type has an expirable hidden field. */
  async preAuthentication(
    _helpers: unknown,
    _credentials: ICredentialDataDecryptedObject,
    typeName: string,
  ): Promise<ICredentialDataDecryptedObject | undefined> {
    const type = this.typeByName(typeName);
    const expirable = type.properties.find((p) => p.type === 'hidden' && p.typeOptions?.expirable === true);
    if (expirable === undefined) return undefined;
    throw new Error('Expirable credentials are not supported by this test harness');
  }

  /** The CLI's `CredentialsHelper.authenticate`, line for line, for function and generic `authenticate`. */
  async authenticate(
    credentials: ICredentialDataDecryptedObject,
    typeName: string,
    requestOptions: IHttpRequestOptions,
    workflow: WorkflowType,
    node: INode,
  ): Promise<IHttpRequestOptions> {
    const credentialType = this.typeByName(typeName);
    const { authenticate } = credentialType;
    if (authenticate) {
      if (typeof authenticate === 'function') {
        const result = await authenticate(credentials, requestOptions);
        this.authenticated.push(result);
        return result;
      }
      if (typeof authenticate === 'object') {
        requestOptions.headers ??= {};
        if (authenticate.type === 'generic') {
          for (const [outerKey, outerValue] of Object.entries(authenticate.properties)) {
            for (const [key, value] of Object.entries(outerValue as IDataObject)) {
              const keyResolved = this.resolveValue(key, credentials, workflow, node);
              const valueResolved = this.resolveValue(value as string, credentials, workflow, node);
              const target = requestOptions as unknown as Record<string, Record<string, unknown>>;
              target[outerKey] ??= {};
              target[outerKey][keyResolved] = valueResolved;
            }
          }
        }
      }
    }
    this.authenticated.push(requestOptions);
    return requestOptions;
  }

  private resolveValue(
    value: string,
    credentials: ICredentialDataDecryptedObject,
    workflow: WorkflowType,
    node: INode,
  ): string {
    if (!workflowLib.isExpression(value)) return value;
    const resolved = workflow.expression.getSimpleParameterValue(
      node,
      value,
      'internal',
      { $credentials: credentials },
      undefined,
      '',
    );
    if (!resolved) return '';
    return String(resolved);
  }
}

// ---------------------------------------------------------------------------------------------
// Binary data: n8n-core's BinaryDataService, set up as `BaseCommand.initBinaryDataService` does.

export type BinaryMode = 'memory' | 'filesystem';

let binaryService: InstanceType<typeof BinaryDataService> | undefined;
let binaryServiceMode: BinaryMode | undefined;

/** Puts n8n's BinaryDataService into `mode` ('memory' is n8n's `default` mode). */
export async function useBinaryMode(mode: BinaryMode): Promise<InstanceType<typeof BinaryDataService>> {
  const config = Container.get(BinaryDataConfig);
  binaryService ??= Container.get(BinaryDataService);
  if (binaryServiceMode !== mode) {
    config.mode = mode === 'memory' ? 'default' : 'filesystem';
    await binaryService.init();
    binaryServiceMode = mode;
  }
  return binaryService;
}

/** The bytes of a binary property, read through n8n's BinaryDataService (memory or filesystem). */
export async function readBinary(binary: IBinaryData): Promise<Buffer> {
  const service = Container.get(BinaryDataService);
  return await service.getAsBuffer(binary);
}

// ---------------------------------------------------------------------------------------------
// Running the node.

export interface RunNodeOptions {
  parameters: INodeParameters;
  /** The credential's data; `undefined` runs the node without a credential. */
  credentials?: Partial<GenimixCredentials> & IDataObject;
  /** Input items; default one empty item. */
  items?: INodeExecutionData[];
  /** Shorthand for `onError: 'continueRegularOutput'` (n8n's "Continue (using regular output)"). */
  continueOnFail?: boolean;
  /**
   * The node's Settings → On Error: 'stopWorkflow' (default), 'continueRegularOutput' or
   * 'continueErrorOutput' (the node then has a second, error output).
   */
  onError?: 'stopWorkflow' | 'continueRegularOutput' | 'continueErrorOutput';
  /** n8n's binary data mode for this run; default 'memory'. */
  binaryMode?: BinaryMode;
  /** Another built node package (a `dist` folder). */
  dist?: string;
  /** The execution's cancel signal (n8n aborts it when the user stops the execution). */
  abortSignal?: AbortSignal;
  /** Run as the `…genimixTool` node an AI Agent calls (the type only: n8n's tool wrapper is tested in real n8n). */
  asTool?: boolean;
}

export interface RunNodeResult {
  /** What the node's execute() returned. */
  output?: INodeExecutionData[][];
  /**
   * The output as the next nodes get it: routed by n8n-core's own `WorkflowExecute` code
   * (`handleNodeErrorOutput` when On Error is "Continue (using error output)", then
   * `normalizeNodeErrors`), the way `processNodeOutput` and `runNode` do. With the error output,
   * index 0 is the success output and 1 the error output. One difference from a full run: the
   * harness has no previous node's data, so an error item is not merged with its input item's
   * JSON (n8n does that when `$getPairedItem` finds the input item).
   */
  routed?: INodeExecutionData[][];
  error?: Error;
  hints: NodeExecutionHint[];
  credentialsHelper: TestCredentialsHelper;
  /** The workflow/execution the run used (binary data of a filesystem run is filed under them). */
  workflowId: string;
  executionId: string;
}

let executionCounter = 0;

interface RunSetup {
  workflow: WorkflowType;
  node: INode;
  additionalData: IWorkflowExecuteAdditionalData;
  runExecutionData: IRunExecutionData;
  executeData: IExecuteData;
  inputData: { main: INodeExecutionData[][] };
  credentialsHelper: TestCredentialsHelper;
  executionId: string;
}

function setUp(options: RunNodeOptions, items: INodeExecutionData[]): RunSetup {
  const { nodeType, credentialType } = loadNode(options.dist);
  const executionId = String(++executionCounter);
  const node: INode = {
    id: 'b7c2d7a4-0000-4000-8000-000000000001',
    name: NODE_NAME,
    type: options.asTool ? `${NODE_TYPE}Tool` : NODE_TYPE,
    typeVersion: 1,
    position: [0, 0],
    parameters: structuredClone(options.parameters),
    credentials: { [CREDENTIAL_TYPE]: { id: '1', name: 'Genimix account' } },
    ...(options.onError && options.onError !== 'stopWorkflow'
      ? { onError: options.onError }
      : options.continueOnFail
        ? { continueOnFail: true, onError: 'continueRegularOutput' as const }
        : {}),
  };
  const workflow = new Workflow({
    id: 'genimix-test-workflow',
    name: 'Genimix node test',
    nodes: [node],
    connections: {},
    active: false,
    nodeTypes: new SingleNodeTypes(nodeType),
    settings: { executionOrder: 'v1' },
  });
  const credentialsHelper = new TestCredentialsHelper(
    credentialType,
    options.credentials as ICredentialDataDecryptedObject | undefined,
  );
  const additionalData = {
    credentialsHelper,
    executionId,
    restApiUrl: 'http://localhost:5678/rest',
    instanceBaseUrl: 'http://localhost:5678/',
    formWaitingBaseUrl: 'http://localhost:5678/form-waiting',
    webhookBaseUrl: 'http://localhost:5678/webhook',
    webhookWaitingBaseUrl: 'http://localhost:5678/webhook-waiting',
    webhookTestBaseUrl: 'http://localhost:5678/webhook-test',
    variables: {},
    userId: 'test-user',
    currentNodeParameters: undefined,
    executionTimeoutTimestamp: undefined,
    setExecutionStatus: () => {},
    executeWorkflow: async () => {
      throw new Error('Not available in the node test harness');
    },
    getRunExecutionData: async () => undefined,
    logAiEvent: () => {},
    startRunnerTask: async () => {
      throw new Error('Not available in the node test harness');
    },
  } as unknown as IWorkflowExecuteAdditionalData;
  const inputData = { main: [items] };
  const executeData: IExecuteData = {
    node: workflow.getNode(NODE_NAME)!,
    data: inputData,
    source: { main: [{ previousNode: 'Input' }] },
  };
  const runExecutionData = workflowLib.createRunExecutionData({
    executionData: { nodeExecutionStack: [executeData] },
  });
  return {
    workflow,
    node: workflow.getNode(NODE_NAME)!,
    additionalData,
    runExecutionData,
    executeData,
    inputData,
    credentialsHelper,
    executionId,
  };
}

function createContext(
  setup: RunSetup,
  items: INodeExecutionData[],
  closeFunctions: Array<() => Promise<void>>,
  signal?: AbortSignal,
) {
  return new core.ExecuteContext(
    setup.workflow,
    setup.node,
    setup.additionalData,
    'manual',
    setup.runExecutionData,
    0,
    items,
    setup.inputData,
    setup.executeData,
    closeFunctions,
    signal,
  );
}

/**
 * Runs the node's `execute()` once over `items`, as `WorkflowExecute.executeNode` does.
 * Resolves with the output or with the error the node threw (never rejects for a node error).
 */
export async function runNode(options: RunNodeOptions): Promise<RunNodeResult> {
  await useBinaryMode(options.binaryMode ?? 'memory');
  const items = options.items ?? [{ json: {} }];
  const setup = setUp(options, items);
  const closeFunctions: Array<() => Promise<void>> = [];
  const context = createContext(setup, items, closeFunctions, options.abortSignal ?? new AbortController().signal);
  const nodeType = setup.workflow.nodeTypes.getByNameAndVersion(setup.node.type, setup.node.typeVersion);
  const base = {
    hints: context.hints,
    credentialsHelper: setup.credentialsHelper,
    workflowId: setup.workflow.id,
    executionId: setup.executionId,
  };
  try {
    if (!nodeType.execute) throw new Error('The node has no execute()');
    const output =
      (await (nodeType.execute as (this: unknown) => Promise<INodeExecutionData[][]>).call(context)) ?? undefined;
    return { ...base, output, routed: output && route(setup, output), hints: context.hints };
  } catch (error) {
    return { ...base, error: error as Error, hints: context.hints };
  } finally {
    await Promise.allSettled(closeFunctions.map(async (fn) => await fn()));
  }
}

/** n8n-core's routing of a node's output, as `WorkflowExecute` applies it (see {@link RunNodeResult.routed}). */
function route(setup: RunSetup, output: INodeExecutionData[][]): INodeExecutionData[][] {
  // n8n moves items between outputs in place: route a copy, so that `output` stays as returned.
  const data = output.map((items) => items.map((item) => ({ ...item })));
  const engine = new core.WorkflowExecute(setup.additionalData, 'manual', setup.runExecutionData) as unknown as {
    handleNodeErrorOutput(
      workflow: WorkflowType,
      executionData: IExecuteData,
      nodeSuccessData: INodeExecutionData[][],
      runIndex: number,
    ): void;
    normalizeNodeErrors(nodeSuccessData: INodeExecutionData[][]): void;
  };
  if (setup.node.onError === 'continueErrorOutput') {
    // source null: no previous node's run data to look the paired input item up in.
    engine.handleNodeErrorOutput(setup.workflow, { ...setup.executeData, source: null }, data, 0);
  }
  engine.normalizeNodeErrors(data);
  return data;
}

/**
 * An input item carrying `data` as binary property `property`, stored by n8n's own
 * `prepareBinaryData` in the given binary mode (filesystem mode gives it an id, as in n8n).
 */
export async function binaryItem(
  data: Buffer,
  options: {
    fileName?: string;
    mimeType?: string;
    property?: string;
    binaryMode?: BinaryMode;
    json?: IDataObject;
    dist?: string;
  } = {},
): Promise<INodeExecutionData> {
  await useBinaryMode(options.binaryMode ?? 'memory');
  const items = [{ json: {} }];
  const setup = setUp({ parameters: {}, credentials: undefined, dist: options.dist }, items);
  const context = createContext(setup, items, []);
  const binary = await context.helpers.prepareBinaryData(data, options.fileName, options.mimeType);
  return { json: options.json ?? {}, binary: { [options.property ?? 'data']: binary } };
}

// ---------------------------------------------------------------------------------------------
// The credential test, as n8n's CredentialsTester runs a `testedBy` function.

export interface CredentialTestRun {
  result?: INodeCredentialTestResult;
  error?: Error;
}

/**
 * Runs the credential test that the node names in `credentials[].testedBy`, with n8n-core's real
 * `CredentialTestContext` (whose `helpers.request` is n8n's legacy request over OutboundHttp),
 * after applying the credential type's defaults as n8n's `prepareCredentialsForTest` does.
 */
export async function runCredentialTest(
  credentials: Partial<GenimixCredentials> & IDataObject,
  dist?: string,
): Promise<CredentialTestRun> {
  const { nodeType, credentialType } = loadNode(dist);
  const description = nodeType.description.credentials?.find((c) => c.name === CREDENTIAL_TYPE);
  const testedBy = description?.testedBy;
  if (typeof testedBy !== 'string')
    throw new Error(`The node's ${CREDENTIAL_TYPE} credential names no test function (testedBy)`);
  const testFunction = nodeType.methods?.credentialTest?.[testedBy];
  if (typeof testFunction !== 'function') throw new Error(`methods.credentialTest.${testedBy} is not a function`);
  const helper = new TestCredentialsHelper(credentialType, credentials as ICredentialDataDecryptedObject);
  const credentialsDecrypted: ICredentialsDecrypted = {
    id: '1',
    name: 'Genimix account',
    type: CREDENTIAL_TYPE,
    data: helper.applyDefaults(CREDENTIAL_TYPE, structuredClone(credentials) as ICredentialDataDecryptedObject),
  };
  const additionalData = { credentialsHelper: helper } as unknown as IWorkflowExecuteAdditionalData;
  const context = new core.CredentialTestContext(additionalData);
  try {
    return { result: await testFunction.call(context, credentialsDecrypted) };
  } catch (error) {
    return { error: error as Error };
  }
}

// ---------------------------------------------------------------------------------------------
// Assertion helpers.

/** Every string n8n would show or keep of an error: message, description, messages, toJSON(). */
export function errorTexts(error: unknown): string {
  if (!(error instanceof Error)) return JSON.stringify(error);
  const e = error as Error & { description?: unknown; messages?: unknown; context?: unknown };
  return [
    e.message,
    String(e.description ?? ''),
    JSON.stringify(e.messages ?? []),
    JSON.stringify(e.context ?? {}),
    JSON.stringify(e),
  ].join('\n');
}

/**
 * Records the streams n8n's BinaryDataService hands out (`getBinaryStream`) until `restore()`,
 * to check that a node closes every file it opened.
 */
export function captureBinaryStreams(): { streams: NodeJS.ReadableStream[]; restore(): void } {
  const service = Container.get(BinaryDataService);
  const original = service.getAsStream;
  const streams: NodeJS.ReadableStream[] = [];
  service.getAsStream = async function (this: typeof service, ...args: Parameters<typeof original>) {
    const stream = await original.apply(this, args);
    streams.push(stream);
    return stream;
  };
  return {
    streams,
    restore: () => {
      service.getAsStream = original;
    },
  };
}

/**
 * Records the debug lines the node logs through n8n's Logger (the core's per-attempt lines:
 * status, retry and wait) until `restore()`.
 */
export function captureNodeLog(): { lines: string[]; restore(): void } {
  const { Logger } = createRequire(realpathSync(require.resolve('n8n-core')))(
    '@n8n/backend-common',
  ) as typeof import('@n8n/backend-common');
  const logger = Container.get(Logger);
  const original = logger.debug;
  const lines: string[] = [];
  logger.debug = (message: string) => {
    lines.push(message);
  };
  return {
    lines,
    restore: () => {
      logger.debug = original;
    },
  };
}
