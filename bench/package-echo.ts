/**
 * A boot module written as users write one, against the package's own name, so a kernel booted
 * from the package loads the bundle (dist/pkg) on every CPU: startup.bench.ts times what users get.
 */
import type { Ask } from '../ground/message.js';

// tsc compiles this file before the bundle exists: the import names the package through a
// variable and takes its types from the compiled tree the bundle is made of.
const osprey: string = 'osprey';
const { fromReceive } = (await import(osprey)) as typeof import('../boot/index.js');

export type PackageEchoMsg = Ask<{ readonly type: 'echo'; readonly n: number }, number>;

/** Answers each ask with its number. */
export const PackageEcho = fromReceive<PackageEchoMsg>((message, ctx) => ctx.reply(message, message.n), 'PackageEcho');
