import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { SecretStore } from '../core/types.js';

export type { SecretStore };

export class FileKeySecretStore implements SecretStore {
  readonly osBacked = false;
  private key: Buffer | null = null;
  private warned = false;

  constructor(
    private readonly keyFile: string,
    private readonly warn: (message: string) => void = (m) => process.stderr.write(m + '\n'),
  ) {}

  private loadKey(): Buffer {
    if (this.key) return this.key;
    try {
      this.key = Buffer.from(fs.readFileSync(this.keyFile, 'utf8').trim(), 'base64');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      fs.mkdirSync(path.dirname(this.keyFile), { recursive: true, mode: 0o700 });
      const key = randomBytes(32);
      // 'wx': two processes creating the key at once must not overwrite each other's key.
      try {
        fs.writeFileSync(this.keyFile, key.toString('base64'), { mode: 0o600, flag: 'wx' });
        this.key = key;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        this.key = Buffer.from(fs.readFileSync(this.keyFile, 'utf8').trim(), 'base64');
      }
    }
    if (this.key.length !== 32) throw new Error(`the key file ${this.keyFile} is damaged (expected 32 bytes)`);
    return this.key;
  }

  /** Sealing is saving a secret: the moment to say where it is kept (once), not on every read. */
  encrypt(plain: string): string {
    if (!this.warned) {
      this.warned = true;
      this.warn(`warning: no OS keychain in use; workspace credentials are encrypted with a key file (${this.keyFile}, mode 0600)`);
    }
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.loadKey(), iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join(':');
  }

  decrypt(sealed: string): string {
    const [version, iv, tag, body] = sealed.split(':');
    if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('unreadable secret (unknown format)');
    const decipher = createDecipheriv('aes-256-gcm', this.loadKey(), Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
  }
}
