import { timingSafeEqual } from 'node:crypto';
import { tokenDigest, type Role, type TokenEntry } from '../../common/config/secrets.ts';

export interface Principal {
  name: string;
  role: Role;
}

/** Checks presented tokens against the known hashes, in constant time per entry. */
export class TokenAuth {
  #entries: Array<{ principal: Principal; hash: Buffer }> = [];

  constructor(entries: readonly TokenEntry[]) {
    this.replace(entries);
  }

  /** Swaps the known tokens, as when configuration is reloaded. */
  replace(entries: readonly TokenEntry[]): void {
    this.#entries = entries.map((e) => ({
      principal: { name: e.name, role: e.role },
      hash: Buffer.from(e.hash, 'hex'),
    }));
  }

  /** The principal of an `Authorization: Bearer <token>` header, if its token is known. */
  verifyBearer(header: string | undefined): Principal | undefined {
    const token = /^Bearer +(\S+)$/i.exec(header ?? '')?.[1];
    return token === undefined ? undefined : this.verify(token);
  }

  verify(token: string): Principal | undefined {
    const presented = tokenDigest(token);
    let found: Principal | undefined;
    for (const entry of this.#entries) {
      if (timingSafeEqual(presented, entry.hash) && !found) found = entry.principal;
    }
    return found;
  }

  get size(): number {
    return this.#entries.length;
  }
}
