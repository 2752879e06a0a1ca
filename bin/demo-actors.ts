/** The demo's boot module: behaviours every CPU can run (see `BootOptions.modules`). */
import { fromReceive, type Ask } from '../boot/index.js';

export type SquarerMsg = Ask<{ readonly type: 'square'; readonly n: number }, number>;

/** Answers n². */
export const Squarer = fromReceive<SquarerMsg>((message, ctx) => ctx.reply(message, message.n * message.n), 'Squarer');
