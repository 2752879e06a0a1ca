/**
 * The child of the SIGKILL crash test (crash-sigkill.test.ts): imports the pool named first from
 * the device files given after it, and writes file after file, each fsynced, printing `committed N` once file N's
 * fsync has resolved, until it is killed. File N is `/f<N>` with `contentOf(N)`, and it starts after
 * the highest file it finds, so that runs go on where the last was killed.
 *
 * `node crash-writer.js POOL DEVICE...`
 */
import { Dataset, importPool, storage } from '../../../../actors/zfs/index.js';
import { defaultSubsystems, Kernel } from '../../../../boot/index.js';
import { createFileDevice } from '../../../../drivers/block/index.js';
import { contentOf } from './crash-content.js';

const kernel = await Kernel.boot({ subsystems: [...defaultSubsystems, storage] });
const [name, ...paths] = process.argv.slice(2);
const devices = await Promise.all(paths.map((path) => createFileDevice(path)));
const pool = await importPool(kernel.subsystem(storage), devices, name!);
const fs = await Dataset.open(pool, { fileBlockBytes: 4096 });
const names = (await fs.readdir('/')).map((entry) => Number(entry.name.slice(1)));
let next = names.length === 0 ? 1 : Math.max(...names) + 1;
process.stdout.write('ready\n');
for (;;) {
  // Several files between fsyncs, and some rewritten, so that a commit has more than one change.
  await fs.writeFile(`/f${next}`, contentOf(next));
  if (next % 3 === 0) await fs.writeFile(`/f${next - 1}`, contentOf(next - 1));
  await fs.fsync();
  process.stdout.write(`committed ${next}\n`);
  next++;
}
