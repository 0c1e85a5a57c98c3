import type { ImageMimeType } from '@genimix/core';

/** An image as stored: its bytes and the content type they are served with. */
export interface ImageData {
  /** The type the image is served with: the upload's (checked against the bytes) or `image/png` for a generated one. */
  readonly contentType: ImageMimeType;
  /** The image file's bytes, exactly as uploaded or generated. */
  readonly bytes: Buffer;
}

/**
 * Where the emulator keeps images, per project: the same image id in two projects names two
 * images. Ids reaching a store are already valid (core `checkId`). Implementations store an image
 * whole or not at all: a reader never sees part of an image, or bytes without their type.
 */
export interface ImageStore {
  /** Stores `image` under the id, replacing any image there. */
  put(projectId: string, imageId: string, image: ImageData): Promise<void>;
  /** The image under the id, or `undefined` when there is none. */
  get(projectId: string, imageId: string): Promise<ImageData | undefined>;
  /** Removes the image; resolves `true` when there was one, `false` when there was none. */
  delete(projectId: string, imageId: string): Promise<boolean>;
  /** The ids of the project's images, sorted (code-unit order); `[]` for a project without images. */
  list(projectId: string): Promise<string[]>;
}

/** One stored image, as {@link EmulatorStore.get} returns it. */
export interface StoredImage {
  readonly projectId: string;
  readonly imageId: string;
  /** The content type the image is served with. */
  readonly contentType: ImageMimeType;
  /** Length of `bytes`, in bytes. */
  readonly size: number;
  /** A copy of the image's bytes: changing it changes nothing stored. */
  readonly bytes: Uint8Array;
}

/**
 * A read-only look into an emulator's images, for tests: what a request stored, and nothing that
 * can change it.
 */
export interface EmulatorStore {
  /** The ids of the project's images, sorted; `[]` for a project without images. */
  list(projectId: string): Promise<string[]>;
  /** The image, or `undefined` when the project has none under that id. */
  get(projectId: string, imageId: string): Promise<StoredImage | undefined>;
  /** True when the project has an image under that id. */
  has(projectId: string, imageId: string): Promise<boolean>;
}

/** A read-only {@link EmulatorStore} over `store`. */
export function readOnlyView(store: ImageStore): EmulatorStore {
  return Object.freeze({
    list: (projectId: string) => store.list(projectId),
    async get(projectId: string, imageId: string): Promise<StoredImage | undefined> {
      const image = await store.get(projectId, imageId);
      if (!image) return undefined;
      return {
        projectId,
        imageId,
        contentType: image.contentType,
        size: image.bytes.length,
        bytes: new Uint8Array(image.bytes),
      };
    },
    has: async (projectId: string, imageId: string) => (await store.get(projectId, imageId)) !== undefined,
  });
}
