import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { makeBridge } from './allowlist.js';

// The renderer's only door to the core: window.uis.invoke(channel, input) and window.uis.subscribe(topic, cb),
// both limited to the contract's keys. The raw ipcRenderer and the IPC event object are never exposed.
const bridge = makeBridge({
  invoke: (channel, input) => ipcRenderer.invoke(channel, input),
  on: (topic, listener) => {
    const wrapped = (_event: IpcRendererEvent, payload: unknown) => listener(payload);
    ipcRenderer.on(topic, wrapped);
    return () => ipcRenderer.removeListener(topic, wrapped);
  },
});

contextBridge.exposeInMainWorld('uis', {
  invoke: bridge.invoke,
  subscribe: bridge.subscribe,
});
