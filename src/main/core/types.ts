import type { z } from 'zod';
import type { ContractShape } from '../../shared/contract.js';
import type { TopicName } from '../../shared/api/index.js';
import type { TopicPayload } from './bus.js';
import type { JobRunner } from './jobs.js';

/**
 * Encrypts workspace credentials at rest. The Electron shell provides one backed by safeStorage (the OS keychain);
 * under plain Node, FileKeySecretStore (src/main/workspace/secrets.ts) keeps a random key in a 0600 file.
 */
export interface SecretStore {
  /** True when the key lives in an OS keychain. */
  readonly osBacked: boolean;
  encrypt(plain: string): string;
  decrypt(sealed: string): string;
}

/** What every handler receives besides its validated input. */
export interface CoreContext {
  /** Workspaces and SQLite snapshots live here (UIS_DATA_DIR or the OS's app-data folder). */
  readonly dataDir: string;
  /** Seals workspace credentials: safeStorage on the desktop, a 0600 key file in web mode (osBacked false). */
  readonly secretStore: SecretStore;
  readonly runtime: 'electron' | 'web';
  /** Push a payload to every connected renderer (validated against the topic's schema). */
  publish<T extends TopicName>(topic: T, payload: TopicPayload<T>): void;
  /** Long work: ctx.jobs.start(kind, async ({signal, progress}) => result) → job id. */
  readonly jobs: JobRunner;
  /**
   * One long-lived object per core (a Redis subscriber, the analytics engine of the active workspace…), created on
   * first use and disposed when the core closes or when `dropResource(key)` is called (e.g. on workspace switch).
   */
  resource<T>(key: string, create: () => T | Promise<T>, dispose?: (value: T) => void | Promise<void>): Promise<T>;
  dropResource(key: string): Promise<void>;
  /** Runs fn when the core closes (stop timers, close connections). */
  onClose(fn: () => void | Promise<void>): void;
  /** Diagnostic line (stderr / Electron log). Never pass secrets: connection strings are redacted anyway. */
  log(line: string): void;
}

/** A feature's handlers: one async function per channel of its channel map, typed by the channel's schemas. */
export type HandlersFor<C extends ContractShape> = {
  [K in keyof C]: (input: z.infer<C[K]['input']>, ctx: CoreContext) => Promise<z.input<C[K]['output']>>;
};
