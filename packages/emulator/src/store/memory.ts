import type { ImageData, ImageStore } from './types.js';

/** Keeps images in process memory: they are gone when the emulator closes. */
export class MemoryStore implements ImageStore {
  // projectId -> imageId -> image. An image enters the map only once it is whole and checked.
  readonly #projects = new Map<string, Map<string, ImageData>>();

  async put(projectId: string, imageId: string, image: ImageData): Promise<void> {
    let images = this.#projects.get(projectId);
    if (!images) {
      images = new Map();
      this.#projects.set(projectId, images);
    }
    images.set(imageId, image);
  }

  async get(projectId: string, imageId: string): Promise<ImageData | undefined> {
    return this.#projects.get(projectId)?.get(imageId);
  }

  async delete(projectId: string, imageId: string): Promise<boolean> {
    const images = this.#projects.get(projectId);
    const existed = images?.delete(imageId) ?? false;
    if (images?.size === 0) this.#projects.delete(projectId);
    return existed;
  }

  async list(projectId: string): Promise<string[]> {
    return [...(this.#projects.get(projectId)?.keys() ?? [])].sort(compareIds);
  }
}

/** Code-unit order, the same on every platform and locale. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
