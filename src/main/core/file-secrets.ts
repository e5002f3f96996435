import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CoreSecretStore } from './types.js';

/**
 * Credentials for web mode, the CLI and tests, where Electron's safeStorage (the OS keychain) is not available:
 * AES-256-GCM with a random key kept in a 0600 file next to the data. Better than plain text, not a keychain, so
 * `isSecure` is false and the UI says so. The desktop app uses safeStorage instead (src/main/electron/secrets.ts).
 */
export class FileSecretStore implements CoreSecretStore {
  readonly isSecure = false;
  private readonly keyFile: string;
  private readonly storeFile: string;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.keyFile = path.join(dir, 'secrets.key');
    this.storeFile = path.join(dir, 'secrets.json');
  }

  async get(name: string): Promise<string | undefined> {
    const sealed = this.read()[name];
    if (!sealed) return undefined;
    const raw = Buffer.from(sealed, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key(), raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }

  async set(name: string, value: string): Promise<void> {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key(), iv);
    const body = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    this.write({ ...this.read(), [name]: Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64') });
  }

  async delete(name: string): Promise<void> {
    const all = this.read();
    delete all[name];
    this.write(all);
  }

  private key(): Buffer {
    try {
      return Buffer.from(readFileSync(this.keyFile, 'utf8'), 'base64');
    } catch {
      const key = randomBytes(32);
      writeFileSync(this.keyFile, key.toString('base64'), { mode: 0o600, flag: 'wx' });
      return key;
    }
  }

  private read(): Record<string, string> {
    try {
      return JSON.parse(readFileSync(this.storeFile, 'utf8')) as Record<string, string>;
    } catch {
      return {};
    }
  }

  private write(all: Record<string, string>): void {
    const tmp = `${this.storeFile}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(all), { mode: 0o600 });
    renameSync(tmp, this.storeFile);
  }
}
