import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { describeIssues } from '../../shared/event.js';
import { DEMO_WORKSPACE, LlmSettingsChange, WorkspaceInput, type WorkspaceSummary } from '../../shared/metrics-workspace.js';
import { dataDir } from '../config.js';
import { redactConnectionString } from '../connection-string.js';
import { FileKeySecretStore, type SecretStore } from './secrets.js';

export { DEMO_WORKSPACE };

const StoredWorkspace = z.object({
  name: z.string(),
  kind: z.enum(['demo', 'postgres']),
  createdAt: z.string(),
  /** Sealed by the SecretStore (the OS keychain in the desktop app); never written in clear. */
  sealed: z.object({ pgUrl: z.string().optional(), redisUrl: z.string().optional(), llmApiKey: z.string().optional(), llmBaseUrl: z.string().optional() }),
  /** The same URLs redacted (redactConnectionString), for listing without opening the secrets. */
  shown: z.object({ pgUrl: z.string().optional(), redisUrl: z.string().optional(), llmBaseUrl: z.string().optional() }).optional(),
  /** baseUrl: only in files written before it was sealed; moved into `sealed` on first read. */
  llm: z.object({ baseUrl: z.string().optional(), model: z.string().optional() }),
});
type StoredWorkspace = z.infer<typeof StoredWorkspace>;
const StoreFile = z.object({ version: z.literal(1), active: z.string().nullable(), workspaces: z.array(StoredWorkspace) });
type StoreFile = z.infer<typeof StoreFile>;

export interface WorkspaceSecrets {
  pgUrl: string | null;
  redisUrl: string | null;
  llmApiKey: string | null;
  llmBaseUrl: string | null;
}

export class WorkspaceError extends Error {
  constructor(
    readonly code: 'not_found' | 'exists' | 'invalid' | 'last_workspace',
    message: string,
  ) {
    super(message);
  }
}

/**
 * The workspaces of this machine, in `<dataDir>/workspaces.json`; each one's snapshot in
 * `<dataDir>/workspaces/<name>/snapshot.sqlite`. Credentials are sealed by a SecretStore.
 */
export class WorkspaceStore {
  readonly file: string;

  constructor(
    readonly dir: string = dataDir(),
    readonly secrets: SecretStore = new FileKeySecretStore(path.join(dir, 'secret.key')),
  ) {
    this.file = path.join(dir, 'workspaces.json');
  }

  private read(): StoreFile {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, active: null, workspaces: [] };
      throw err;
    }
    const parsed = StoreFile.safeParse(JSON.parse(text));
    if (!parsed.success) throw new WorkspaceError('invalid', `${this.file} is damaged: ${describeIssues(parsed.error)}`);
    const data = parsed.data;
    // Files from before: an LLM base URL in clear (it may hold credentials) and no redacted forms. Sealed and
    // rewritten once, so the file never keeps it in clear and listing never has to open a secret.
    const legacy = data.workspaces.filter((w) => w.llm.baseUrl !== undefined || !w.shown);
    if (legacy.length) {
      let changed = false;
      for (const w of legacy) {
        try {
          this.upgrade(w);
          changed = true;
        } catch {
          // sealed by another store (the desktop app's keychain): listed without its URLs until that store reads it
        }
      }
      if (changed) {
        try {
          this.write(data);
        } catch {
          // a read-only folder: upgraded in memory, tried again on the next read
        }
      }
    }
    return data;
  }

  private upgrade(w: StoredWorkspace): void {
    if (w.llm.baseUrl !== undefined) {
      w.sealed.llmBaseUrl = this.secrets.encrypt(w.llm.baseUrl);
      w.shown = { ...w.shown, llmBaseUrl: redactConnectionString(w.llm.baseUrl) };
      delete w.llm.baseUrl;
    }
    const shown = (s: string | undefined) => (s ? redactConnectionString(this.secrets.decrypt(s)) : undefined);
    w.shown = { pgUrl: shown(w.sealed.pgUrl), redisUrl: shown(w.sealed.redisUrl), llmBaseUrl: w.shown?.llmBaseUrl ?? shown(w.sealed.llmBaseUrl) };
  }

  private write(data: StoreFile): void {
    fs.mkdirSync(this.dir, { recursive: true });
    // Write then rename: a crash never leaves a half-written file.
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(data, null, 2), { mode: 0o600 });
    fs.renameSync(tmp, this.file);
  }

  snapshotPath(name: string): string {
    return path.join(this.dir, 'workspaces', name, 'snapshot.sqlite');
  }

  /** What may leave the store: the redacted forms only; no secret is opened to list a workspace. */
  private summarize(w: StoredWorkspace, active: string | null): WorkspaceSummary {
    return {
      name: w.name,
      kind: w.kind,
      active: w.name === active,
      pgUrl: w.shown?.pgUrl ?? null,
      redisUrl: w.shown?.redisUrl ?? null,
      llm: { baseUrl: w.shown?.llmBaseUrl ?? null, model: w.llm.model ?? null, hasApiKey: !!w.sealed.llmApiKey },
      snapshotPath: this.snapshotPath(w.name),
      createdAt: w.createdAt,
    };
  }

  list(): WorkspaceSummary[] {
    const data = this.read();
    return data.workspaces.map((w) => this.summarize(w, data.active));
  }

  get(name: string): WorkspaceSummary {
    const data = this.read();
    const w = data.workspaces.find((x) => x.name === name);
    if (!w) throw new WorkspaceError('not_found', `no workspace named "${name}"`);
    return this.summarize(w, data.active);
  }

  add(input: WorkspaceInput, opts: { activate?: boolean; replace?: boolean } = {}): WorkspaceSummary {
    const parsed = WorkspaceInput.safeParse(input);
    if (!parsed.success) throw new WorkspaceError('invalid', describeIssues(parsed.error));
    const w = parsed.data;
    const data = this.read();
    const existing = data.workspaces.findIndex((x) => x.name === w.name);
    if (existing >= 0 && !opts.replace) throw new WorkspaceError('exists', `a workspace named "${w.name}" already exists`);
    const seal = (s: string | undefined) => (s ? this.secrets.encrypt(s) : undefined);
    const shown = (s: string | undefined) => (s ? redactConnectionString(s) : undefined);
    const stored: StoredWorkspace = {
      name: w.name,
      kind: w.kind,
      createdAt: new Date().toISOString(),
      sealed: { pgUrl: seal(w.pgUrl), redisUrl: seal(w.redisUrl), llmApiKey: seal(w.llm?.apiKey), llmBaseUrl: seal(w.llm?.baseUrl) },
      shown: { pgUrl: shown(w.pgUrl), redisUrl: shown(w.redisUrl), llmBaseUrl: shown(w.llm?.baseUrl) },
      llm: { model: w.llm?.model },
    };
    if (existing >= 0) data.workspaces[existing] = stored;
    else data.workspaces.push(stored);
    if (opts.activate || !data.active) data.active = w.name;
    this.write(data);
    return this.summarize(stored, data.active);
  }

  /** Removes the workspace and its snapshot folder. */
  remove(name: string): void {
    const data = this.read();
    const idx = data.workspaces.findIndex((x) => x.name === name);
    if (idx < 0) throw new WorkspaceError('not_found', `no workspace named "${name}"`);
    data.workspaces.splice(idx, 1);
    if (data.active === name) data.active = data.workspaces[0]?.name ?? null;
    this.write(data);
    fs.rmSync(path.dirname(this.snapshotPath(name)), { recursive: true, force: true });
  }

  switch(name: string): WorkspaceSummary {
    const data = this.read();
    const w = data.workspaces.find((x) => x.name === name);
    if (!w) throw new WorkspaceError('not_found', `no workspace named "${name}"`);
    data.active = name;
    this.write(data);
    return this.summarize(w, name);
  }

  /**
   * Sets or clears the workspace's LLM settings, one field at a time: a string sets it (base URL and key sealed with
   * the SecretStore, the OS keychain in the desktop app), null clears it, absent keeps it.
   */
  setLlm(name: string, change: LlmSettingsChange): WorkspaceSummary {
    const parsed = LlmSettingsChange.safeParse(change);
    if (!parsed.success) throw new WorkspaceError('invalid', describeIssues(parsed.error));
    const c = parsed.data;
    const data = this.read();
    const w = data.workspaces.find((x) => x.name === name);
    if (!w) throw new WorkspaceError('not_found', `no workspace named "${name}"`);
    if (c.baseUrl !== undefined) {
      w.sealed.llmBaseUrl = c.baseUrl === null ? undefined : this.secrets.encrypt(c.baseUrl);
      w.shown = { ...w.shown, llmBaseUrl: c.baseUrl === null ? undefined : redactConnectionString(c.baseUrl) };
    }
    if (c.apiKey !== undefined) w.sealed.llmApiKey = c.apiKey === null ? undefined : this.secrets.encrypt(c.apiKey);
    if (c.model !== undefined) w.llm = { ...w.llm, model: c.model ?? undefined };
    this.write(data);
    return this.summarize(w, data.active);
  }

  /** The credentials in clear: for the core's own connections only, never for list() or the renderer. */
  secretsOf(name: string): WorkspaceSecrets {
    const w = this.read().workspaces.find((x) => x.name === name);
    if (!w) throw new WorkspaceError('not_found', `no workspace named "${name}"`);
    const open = (s: string | undefined) => (s ? this.secrets.decrypt(s) : null);
    return { pgUrl: open(w.sealed.pgUrl), redisUrl: open(w.sealed.redisUrl), llmApiKey: open(w.sealed.llmApiKey), llmBaseUrl: open(w.sealed.llmBaseUrl) };
  }

  /** The active workspace; with nothing configured, the demo workspace is created and activated. */
  getActive(): WorkspaceSummary {
    const data = this.read();
    const active = data.workspaces.find((w) => w.name === data.active);
    if (active) return this.summarize(active, data.active);
    const demo = data.workspaces.find((w) => w.name === DEMO_WORKSPACE);
    if (demo) return this.switch(DEMO_WORKSPACE);
    return this.add({ name: DEMO_WORKSPACE, kind: 'demo' }, { activate: true });
  }
}
