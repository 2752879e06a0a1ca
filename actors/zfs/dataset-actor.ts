/**
 * A dataset as an actor (`zfs.<pool>` under the `zfs` supervisor): the file API as messages, for
 * actors that do not hold the `Dataset` itself. Each message is a call of `Dataset` (dataset.ts),
 * answered when it is done: a `FsError` with its POSIX code when it fails. Messages and answers are
 * plain data (paths, bytes, handles), and the name is not a `kernel.` one, so it is announced to
 * every CPU. Between CPUs a message or an answer holds at most 64 KiB (`frameBytesMax`): read a
 * larger file there through a handle, in pieces.
 *
 * The actor takes its messages as they come and does not wait for one call before the next: the
 * dataset runs each call in a turn of its pool, one at a time and in order, as a direct caller's.
 *
 * @example
 * ```ts
 * const served = await serveDataset(kernel.subsystem(storage), await Dataset.open(tank));
 * await served.ref.ask({ type: 'write-file', path: '/notes.txt', data: bytes });
 * const back = await kernel.lookup('zfs.tank')!.ask({ type: 'read-file', path: '/notes.txt' });
 * ```
 */
import { UnknownRequestError } from '../../ground/errors.js';
import type { Ask } from '../../ground/message.js';
import { type BehaviorFactory, fromSetup } from '../runtime/behavior.js';
import type { ActorRef } from '../runtime/ref.js';
import type { Dataset, FileHandle, FileStat } from './dataset.js';
import type { DirectoryEntry } from './directory.js';
import type { Storage } from './storage.js';

export type DatasetMsg =
  | Ask<{ readonly type: 'read-file'; readonly path: string }, Uint8Array>
  | Ask<{ readonly type: 'write-file'; readonly path: string; readonly data: Uint8Array }, true>
  | Ask<{ readonly type: 'mkdir'; readonly path: string }, true>
  | Ask<{ readonly type: 'rmdir'; readonly path: string }, true>
  | Ask<{ readonly type: 'readdir'; readonly path: string }, DirectoryEntry[]>
  | Ask<{ readonly type: 'stat'; readonly path: string }, FileStat>
  | Ask<{ readonly type: 'unlink'; readonly path: string }, true>
  | Ask<{ readonly type: 'rename'; readonly from: string; readonly to: string }, true>
  | Ask<{ readonly type: 'truncate'; readonly path: string; readonly sizeBytes: number }, true>
  | Ask<{ readonly type: 'open'; readonly path: string; readonly create?: boolean; readonly exclusive?: boolean; readonly truncate?: boolean }, FileHandle>
  | Ask<{ readonly type: 'read'; readonly file: FileHandle; readonly offsetBytes: number; readonly lengthBytes: number }, Uint8Array>
  | Ask<{ readonly type: 'write'; readonly file: FileHandle; readonly offsetBytes: number; readonly data: Uint8Array }, true>
  | Ask<{ readonly type: 'fsync' }, number>;

/** A dataset's actor: its ref, and a stop (the pool's close stops it too). */
export interface ServedDataset {
  readonly ref: ActorRef<DatasetMsg>;
  stop(): Promise<void>;
}

/** What the actor does for each message: the dataset's call, and what it answers. */
function call(dataset: Dataset, message: DatasetMsg): Promise<unknown> {
  const done = <T>(work: Promise<T>) => work.then(() => true as const);
  switch (message.type) {
    case 'read-file':
      return dataset.readFile(message.path);
    case 'write-file':
      return done(dataset.writeFile(message.path, message.data));
    case 'mkdir':
      return done(dataset.mkdir(message.path));
    case 'rmdir':
      return done(dataset.rmdir(message.path));
    case 'readdir':
      return dataset.readdir(message.path);
    case 'stat':
      return dataset.stat(message.path);
    case 'unlink':
      return done(dataset.unlink(message.path));
    case 'rename':
      return done(dataset.rename(message.from, message.to));
    case 'truncate':
      return done(dataset.truncate(message.path, message.sizeBytes));
    case 'open': {
      const { path, type: _, ...options } = message;
      return dataset.open(path, options);
    }
    case 'read':
      return dataset.read(message.file, message.offsetBytes, message.lengthBytes);
    case 'write':
      return done(dataset.write(message.file, message.offsetBytes, message.data));
    case 'fsync':
      return dataset.fsync();
    default:
      throw new UnknownRequestError(`dataset ${dataset.pool.name}`, String((message as { type?: unknown }).type));
  }
}

/** The behaviour of `dataset`'s actor. */
export function datasetActorBehavior(dataset: Dataset): BehaviorFactory<DatasetMsg> {
  return fromSetup<DatasetMsg>(
    () => ({
      receive(message, ctx) {
        const reply = ctx.replyLater(message) as { resolve(value: unknown): boolean; reject(error: unknown): void };
        call(dataset, message).then(
          (value) => reply.resolve(value),
          (error: unknown) => reply.reject(error),
        );
      },
    }),
    'zfs-dataset',
  );
}

/**
 * Serves `dataset` as the actor `zfs.<pool>` (or `name`) under the `zfs` supervisor, until `stop`
 * or its pool closes.
 */
export async function serveDataset(storage: Storage, dataset: Dataset, options: { readonly name?: string } = {}): Promise<ServedDataset> {
  return storage.serveDataset(dataset, options.name ?? `zfs.${dataset.pool.name}`);
}
