import { safeStorage } from 'electron';
import type { SecretStore } from '../workspace/secrets.js';

/**
 * Workspace credentials sealed with Electron's safeStorage (macOS Keychain, Windows DPAPI, libsecret/kwallet on
 * Linux). Only ciphertext reaches workspaces.json; values are opened in the main process and never sent to the renderer.
 */
export class SafeStorageSecretStore implements SecretStore {
  readonly osBacked: boolean;
  private warned = false;

  constructor(private readonly warn: (line: string) => void) {
    const available = safeStorage.isEncryptionAvailable();
    const backend = process.platform === 'linux' ? safeStorage.getSelectedStorageBackend() : 'os';
    this.osBacked = available && backend !== 'basic_text' && backend !== 'unknown';
  }

  /** Said when a secret is saved (once), not on every start: Settings shows the same in a banner. */
  encrypt(plain: string): string {
    if (!this.osBacked && !this.warned) {
      this.warned = true;
      this.warn('warning: no OS keychain available; credentials are encrypted with a fixed local key (install gnome-keyring or kwallet for real protection).');
    }
    return 'ss1:' + safeStorage.encryptString(plain).toString('base64');
  }

  decrypt(sealed: string): string {
    if (!sealed.startsWith('ss1:')) throw new Error('unreadable secret (sealed by another store)');
    return safeStorage.decryptString(Buffer.from(sealed.slice(4), 'base64'));
  }
}
