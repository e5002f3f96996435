// Electron fuses for the packaged app, flipped by electron-builder's afterPack hook (electron-builder.json) with
// @electron/fuses, before the app is signed. Each one closes a way to run other code with the app's identity.
// tests/unit/electron.test.ts pins this table and flips a fuse wire with it.
import path from 'node:path';
import { FuseV1Options, FuseVersion, flipFuses, getCurrentFuseWire } from '@electron/fuses';

/** By @electron/fuses option name: true = enabled. */
export const FUSES = Object.freeze({
  /** ELECTRON_RUN_AS_NODE would turn the signed binary into a plain Node.js. */
  RunAsNode: false,
  /** Cookies on disk encrypted with the OS keychain's key. */
  EnableCookieEncryption: true,
  /** NODE_OPTIONS (e.g. --require of another script) ignored. */
  EnableNodeOptionsEnvironmentVariable: false,
  /** --inspect / --inspect-brk ignored: no debugger attached to the main process from the command line. */
  EnableNodeCliInspectArguments: false,
  /** app.asar checked against the hash embedded at build time (macOS and Windows; Electron has no check on Linux). */
  EnableEmbeddedAsarIntegrityValidation: true,
  /** The app loads from app.asar only, never from a loose resources/app folder put beside it. */
  OnlyLoadAppFromAsar: true,
  /** file:// gets no extra privileges: the app is served from app://. */
  GrantFileProtocolExtraPrivileges: false,
});

/** The @electron/fuses configuration for FUSES. */
export function fuseConfig(platform = process.platform, arch = process.arch) {
  const config = { version: FuseVersion.V1, resetAdHocDarwinSignature: platform === 'darwin' && arch === 'arm64' };
  for (const [name, on] of Object.entries(FUSES)) {
    if (!(name in FuseV1Options)) throw new Error(`unknown fuse ${name}`);
    config[FuseV1Options[name]] = on;
  }
  return config;
}

/** The Electron binary electron-builder produced, as electron-builder's own fuse step finds it. */
export function electronBinary(context) {
  const { appOutDir, electronPlatformName, packager } = context;
  if (electronPlatformName === 'darwin' || electronPlatformName === 'mas') return path.join(appOutDir, `${packager.appInfo.productFilename}.app`);
  if (electronPlatformName === 'win32') return path.join(appOutDir, `${packager.appInfo.productFilename}.exe`);
  return path.join(appOutDir, packager.executableName);
}

/** Flips the fuses, reads them back, and fails the build if one is not as FUSES says. */
export async function afterPack(context) {
  const binary = electronBinary(context);
  const arch = typeof context.arch === 'number' ? ['ia32', 'x64', 'armv7l', 'arm64', 'universal'][context.arch] : process.arch;
  const config = fuseConfig(context.electronPlatformName, arch);
  await flipFuses(binary, config);
  const wire = await getCurrentFuseWire(binary);
  for (const [name, on] of Object.entries(FUSES)) {
    const state = wire[FuseV1Options[name]];
    const want = on ? 49 /* FuseState.ENABLE */ : 48; /* FuseState.DISABLE */
    if (state !== want) throw new Error(`fuse ${name} is ${state === undefined ? 'missing' : String.fromCharCode(state)} in ${binary}, expected ${on ? 'on' : 'off'}`);
  }
}

export default afterPack;
