import type { Requester } from '../requester.js';

/** What an operation needs from the client that runs it. */
export interface OperationContext {
  requester: Requester;
  /** The client's project, used when a call names none. */
  projectId: string;
  /** The client's timeout for Get, Upload and Delete, in ms. */
  timeoutMs: number;
  /** The client's timeout for Generate, in ms. */
  generateTimeoutMs: number;
}
