import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { safeStorage } from 'electron';
import type { CoreSecretStore } from '../core/index.js';

/**
 * Credentials sealed with Electron's safeStorage (macOS Keychain, Windows DPAPI, libsecret/kwallet on Linux). Only
 * ciphertext is written to disk; values are decrypted in the main process and never sent to the renderer.
 */
export class SafeStorageSecretStore implements CoreSecretStore {
  readonly isSecure: boolean;
  private readonly file: string;

  constructor(dir: string, warn: (line: string) => void) {
    mkdirSync(dir, { recursive: true });
    this.file = path.join(dir, 'secrets.safe.json');
    const available = safeStorage.isEncryptionAvailable();
    const backend = process.platform === 'linux' ? safeStorage.getSelectedStorageBackend() : 'os';
    this.isSecure = available && backend !== 'basic_text' && backend !== 'unknown';
    if (!this.isSecure) {
      warn('No OS keychain available: credentials are encrypted with a fixed local key (install gnome-keyring or kwallet for real protection).');
    }
  }

  async get(name: string): Promise<string | undefined> {
    const sealed = this.read()[name];
    return sealed ? safeStorage.decryptString(Buffer.from(sealed, 'base64')) : undefined;
  }

  async set(name: string, value: string): Promise<void> {
    this.write({ ...this.read(), [name]: safeStorage.encryptString(value).toString('base64') });
  }

  async delete(name: string): Promise<void> {
    const all = this.read();
    delete all[name];
    this.write(all);
  }

  private read(): Record<string, string> {
    try {
      return JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, string>;
    } catch {
      return {};
    }
  }

  private write(all: Record<string, string>): void {
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(all), { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}
