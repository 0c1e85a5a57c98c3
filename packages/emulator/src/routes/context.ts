import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ImageStore } from '../store/types.js';
import type { GenerateSettings } from './generate.js';

/** What a route handler gets: a request already authenticated, authorised and with valid ids. */
export interface RouteContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** Valid (core `checkId`) and allowed for the request's key. */
  readonly projectId: string;
  /** Valid (core `checkId`). */
  readonly imageId: string;
  readonly store: ImageStore;
  /** Where the image with this project and id is fetched: `<emulator url>/v1/<projectId>/image/<imageId>`. */
  readonly imageUrl: string;
  /** The largest upload accepted, in bytes. */
  readonly maxUploadBytes: number;
  /** How Generate draws and how long it waits: the emulator's profile and latency options. */
  readonly generate: GenerateSettings;
  /** Aborted once the request's connection ends (the client went away, or `close()`): waits stop on it. */
  readonly signal: AbortSignal;
}
