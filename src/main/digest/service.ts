import path from 'node:path';
import { dataDir, processEnv, readDigestConfig, type Env, type RawEnv } from '../config.js';
import { redactConnectionString } from '../connection-string.js';
import { AnalyticsEngine } from '../analytics/engine.js';
import { ReportSettingsStore } from '../reports/settings.js';
import { engineSource, openWorkspaceSource } from '../reports/source.js';
import { syncFromPostgres } from '../snapshot/sync.js';
import { openSnapshot } from '../snapshot/snapshot.js';
import { WorkspaceStore } from '../workspace/store.js';
import { requireSmtp } from './config.js';
import { DigestLedger } from './ledger.js';
import { startDigestScheduler, type DigestScheduler } from './scheduler.js';

/** Fails fast (before the service listens) when SMTP_URL is set but the digest settings are incomplete or invalid. */
export function checkDigestConfig(env: RawEnv = processEnv()): void {
  requireSmtp(readDigestConfig(env));
}

/**
 * The digest inside `uis serve` (started when SMTP_URL is set). Before each send it brings a snapshot up to date so
 * the e-mail reflects the database: UIS_DIGEST_WORKSPACE's snapshot (synced from its PostgreSQL when it has one), else
 * a snapshot of the service's own DATABASE_URL in `<dataDir>/service/digest-snapshot.sqlite` (incremental sync).
 */
export function startDigestService(env: Env, opts: { log?: (line: string) => void; processEnv?: RawEnv } = {}): { scheduler: DigestScheduler; stop(): Promise<void> } {
  const log = opts.log ?? (() => {});
  const config = readDigestConfig(opts.processEnv ?? processEnv());
  const dir = dataDir(env);
  const ledger = DigestLedger.inDataDir(dir);

  const openSource = async () => {
    if (config.UIS_DIGEST_WORKSPACE) {
      const store = new WorkspaceStore(dir);
      const ws = store.get(config.UIS_DIGEST_WORKSPACE);
      const pgUrl = store.secretsOf(ws.name).pgUrl;
      if (ws.kind === 'postgres' && pgUrl) {
        const snap = openSnapshot(ws.snapshotPath);
        try {
          await syncFromPostgres(snap, pgUrl);
        } finally {
          snap.close();
        }
      }
      return openWorkspaceSource(dir, ws.name);
    }
    if (!env.DATABASE_URL) return openWorkspaceSource(dir);
    const snap = openSnapshot(path.join(dir, 'service', 'digest-snapshot.sqlite'));
    try {
      await syncFromPostgres(snap, env.DATABASE_URL);
    } catch (err) {
      snap.close();
      throw new Error(`digest: syncing the snapshot failed: ${redactConnectionString((err as Error).message)}`);
    }
    return engineSource(new AnalyticsEngine(snap), 'service', () => snap.close());
  };

  const scheduler = startDigestScheduler({ config, ledger, openSource, companyName: () => new ReportSettingsStore(dir).get().companyName, log });
  return {
    scheduler,
    async stop() {
      // A send in flight finishes (and writes its ledger row) before the ledger closes.
      await scheduler.stop();
      ledger.close();
    },
  };
}
