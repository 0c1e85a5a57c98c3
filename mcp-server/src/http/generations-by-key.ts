import { createHash } from 'node:crypto';
import { Generations } from '../generations.js';

interface Entry {
  readonly generations: Generations;
  /** Requests in flight that hold it. */
  holds: number;
}

/**
 * The generations of each Genimix key a server over HTTP serves (with `GENIMIX_CLIENT_KEYS=allow`,
 * each user's own, so one user can never wait on or learn of another's), kept in memory only while
 * they matter: while a request with that key is in flight, or while a generation of it is running
 * or holds a failure not yet reported. A server that has seen a million keys (or a client sending a
 * new random key with each request) keeps nothing for those that are idle.
 */
export class GenerationsByKey {
  // Keyed by the key's SHA-256, so no key sits in this map as itself.
  readonly #entries = new Map<string, Entry>();

  /**
   * Holds `apiKey`'s generations for one request, creating them if needed.
   * @returns `release`, to call once when the request has ended (its answer sent or the client gone)
   */
  hold(apiKey: string): { generations: Generations; release: () => void } {
    const id = idOf(apiKey);
    let entry = this.#entries.get(id);
    if (!entry) {
      const created: Entry = {
        generations: new Generations(() => this.#dropIfIdle(id, created)),
        holds: 0,
      };
      this.#entries.set(id, created);
      entry = created;
    }
    entry.holds++;
    const held = entry;
    let released = false;
    return {
      generations: held.generations,
      release: () => {
        if (released) return;
        released = true;
        held.holds--;
        this.#dropIfIdle(id, held);
      },
    };
  }

  /**
   * The generations of `apiKey`, which a request in flight holds ({@link hold}).
   * @throws Error when no request holds them (a request served without being held: a bug)
   */
  held(apiKey: string): Generations {
    const entry = this.#entries.get(idOf(apiKey));
    if (!entry || entry.holds === 0) throw new Error('Generations asked for a key no request holds.');
    return entry.generations;
  }

  /** How many keys have generations kept now. */
  get size(): number {
    return this.#entries.size;
  }

  /** The generations of every key kept now. */
  all(): Generations[] {
    return [...this.#entries.values()].map((entry) => entry.generations);
  }

  #dropIfIdle(id: string, entry: Entry): void {
    if (entry.holds === 0 && entry.generations.size === 0 && this.#entries.get(id) === entry) {
      this.#entries.delete(id);
    }
  }
}

function idOf(apiKey: string): string {
  return createHash('sha256').update(apiKey).digest('base64url');
}
