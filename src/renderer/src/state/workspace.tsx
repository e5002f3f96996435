import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { useRpc, useTopic, type RpcState } from '../api/hooks.js';
import { dropPrefetched, invoke, OFFLINE_EVENT } from '../api/client.js';
import type { ChannelOutput } from '../../../shared/contract.js';
import type { Contract } from '../../../shared/api/index.js';

type Active = ChannelOutput<Contract, 'workspace.active'>;
interface Health {
  online: boolean;
  message: string;
  /** The workbench's own server (web mode) did not answer. */
  transportDown: boolean;
}

interface WorkspaceState {
  active: RpcState<Active>;
  health: Health | null;
  /** Bumped whenever the active workspace or its snapshot changes: data hooks re-fetch. */
  version: number;
}

const Ctx = createContext<WorkspaceState>({ active: { data: undefined, error: undefined, loading: true, reload() {} }, health: null, version: 0 });
const HEALTH_EVERY_MS = 60_000;
const RETRY_WHEN_DOWN_MS = 3_000;

export function WorkspaceProvider({ children }: { children: ReactNode }) {
  const [version, setVersion] = useState(0);
  const active = useRpc('workspace.active', {}, [version]);
  const [health, setHealth] = useState<Health | null>(null);
  useTopic('workspace.changed', () => {
    dropPrefetched();
    setVersion((v) => v + 1);
  });

  useEffect(() => {
    let stopped = false;
    const check = async () => {
      try {
        const h = await invoke('workspace.health', {});
        if (!stopped) setHealth({ online: h.online, message: h.message, transportDown: false });
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (!stopped) setHealth({ online: false, message: (err as Error).message, transportDown: code === 'offline' });
      }
    };
    void check();
    const timer = setInterval(check, HEALTH_EVERY_MS);
    // While the server is unreachable, look again every few seconds so the banner clears soon after it is back.
    let retry: ReturnType<typeof setInterval> | null = null;
    const onOffline = () => {
      setHealth({ online: false, message: 'The workbench server is not reachable.', transportDown: true });
      retry ??= setInterval(async () => {
        await check();
        if (stopped) return;
        try {
          await invoke('app.info', {});
          clearInterval(retry!);
          retry = null;
          setVersion((v) => v + 1); // reload what failed
        } catch {
          // still down
        }
      }, RETRY_WHEN_DOWN_MS);
    };
    window.addEventListener(OFFLINE_EVENT, onOffline);
    return () => {
      stopped = true;
      clearInterval(timer);
      if (retry) clearInterval(retry);
      window.removeEventListener(OFFLINE_EVENT, onOffline);
    };
  }, [version]);

  return <Ctx.Provider value={{ active, health, version }}>{children}</Ctx.Provider>;
}

export function useWorkspace(): WorkspaceState {
  return useContext(Ctx);
}
