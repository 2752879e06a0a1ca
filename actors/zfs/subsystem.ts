/**
 * The `zfs` subsystem: storage, as a plug-in (`Kernel.boot({ subsystems: [...defaultSubsystems,
 * storage] })`). Its supervisor `kernel.zfs` keeps the device actors it opens; its status lists
 * them. See storage.ts and docs/storage.md.
 */
import { defineSubsystem, type Subsystem } from '../plugin/subsystem.js';
import { Storage } from './storage.js';

export const storage: Subsystem<Storage> = defineSubsystem<Storage, undefined>({
  name: 'zfs',
  module: import.meta.url,
  start(host) {
    const handle = new Storage(host);
    return { handle: () => handle, status: () => handle.status() };
  },
});
