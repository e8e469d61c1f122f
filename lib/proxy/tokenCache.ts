import type { WorkflowStatus } from '../../workflows/connectionMessages.js';
import { Singleflight } from '../Singleflight.js';
import { CONNECTION_STATUSES, type ConnectionDoc, type ConnectionStatus } from '../store/documents.js';

/**
 * Access tokens the proxy uses, decrypted once and kept in this process until shortly before they
 * expire, so a proxied call costs no store read in the common case. Simultaneous callers share one
 * read and one refresh; a refresh is asked of the connection's workflow (the coalesced refresh), never
 * made here. Entries go on refresh, delete and needs_reauth (evict), and after MAX_AGE_MS in any case,
 * so a change made through another API process (a delete, a re-authorization) is seen within it.
 */
export const MAX_AGE_MS = 5 * 60_000;
/** An entry is dropped this long before its token expires: the next call reads what the worker refreshed. */
export const EARLY_MS = 30_000;
/** A token this close to its expiry counts as expired: it would likely lapse on the way to the provider. */
export const EXPIRY_SKEW_MS = 5_000;

export interface TokenEntry {
  doc: ConnectionDoc;
  accessToken: string;
}

export interface Loaded extends TokenEntry {
  /** the token was refreshed for this call */
  refreshed: boolean;
}

export interface TokenCacheDeps {
  read(connectionId: string): Promise<ConnectionDoc | null>;
  accessTokenOf(doc: ConnectionDoc): string;
  /** the workflow's coalesced refresh, then the document it saved (null when gone) */
  refresh(doc: ConnectionDoc): Promise<{ status: WorkflowStatus; doc: ConnectionDoc | null }>;
  now(): number;
}

interface Stored extends TokenEntry {
  usableUntilMs: number;
}

export class TokenCache {
  private readonly entries = new Map<string, Stored>();
  private readonly loads = new Singleflight<Loaded | null>();
  private readonly rejections = new Singleflight<Loaded | null>();
  private readonly refreshes = new Singleflight<Loaded | null>();

  constructor(private readonly deps: TokenCacheDeps) {}

  /** The connection and a usable token (refreshed first when the stored one is past its expiry); null when missing. */
  current(connectionId: string): Promise<Loaded | null> {
    const hit = this.entries.get(connectionId);
    if (hit && this.deps.now() < hit.usableUntilMs) return Promise.resolve({ ...hit, refreshed: false });
    return this.loads.run(connectionId, () => this.load(connectionId));
  }

  /**
   * After the provider refused `rejectedToken` (401): a newer token when one exists already (another
   * call or process refreshed), else one refresh, shared by every caller that saw the same refusal.
   */
  afterRejection(connectionId: string, rejectedToken: string): Promise<Loaded | null> {
    const hit = this.entries.get(connectionId);
    if (hit && hit.accessToken !== rejectedToken && this.deps.now() < hit.usableUntilMs) {
      return Promise.resolve({ ...hit, refreshed: false });
    }
    return this.rejections.run(connectionId, async () => {
      this.evict(connectionId);
      const doc = await this.deps.read(connectionId);
      if (doc?.status === 'active' && this.deps.accessTokenOf(doc) === rejectedToken) return this.refresh(doc);
      return this.keep(doc, false);
    });
  }

  evict(connectionId: string): void {
    this.entries.delete(connectionId);
  }

  private async load(connectionId: string): Promise<Loaded | null> {
    const doc = await this.deps.read(connectionId);
    if (doc?.status === 'active' && this.expired(doc)) return this.refresh(doc);
    return this.keep(doc, false);
  }

  private refresh(doc: ConnectionDoc): Promise<Loaded | null> {
    return this.refreshes.run(doc._id, async () => {
      this.evict(doc._id);
      const refreshed = await this.deps.refresh(doc);
      return this.keep(refreshed.doc && { ...refreshed.doc, status: storedStatus(refreshed.status) }, true);
    });
  }

  /** Caches an active connection's token until EARLY_MS before it expires (at most MAX_AGE_MS); nothing else. */
  private keep(doc: ConnectionDoc | null, refreshed: boolean): Loaded | null {
    if (!doc || doc.status === 'deleted') {
      if (doc) this.evict(doc._id);
      return null;
    }
    const entry = { doc, accessToken: doc.status === 'active' ? this.deps.accessTokenOf(doc) : '' };
    const now = this.deps.now();
    const expiresAtMs = doc.tokenExpiresAt?.getTime() ?? Number.POSITIVE_INFINITY;
    const usableUntilMs = Math.min(now + MAX_AGE_MS, expiresAtMs - EARLY_MS);
    if (doc.status === 'active' && usableUntilMs > now) this.entries.set(doc._id, { ...entry, usableUntilMs });
    else this.evict(doc._id);
    return { ...entry, refreshed };
  }

  private expired(doc: ConnectionDoc): boolean {
    return doc.tokenExpiresAt !== null && doc.tokenExpiresAt.getTime() - EXPIRY_SKEW_MS <= this.deps.now();
  }
}

/** A workflow that is no longer a live connection (never authorized, or ended) counts as deleted. */
function storedStatus(status: WorkflowStatus): ConnectionStatus {
  return (CONNECTION_STATUSES as readonly string[]).includes(status) ? (status as ConnectionStatus) : 'deleted';
}
