/**
 * A known bug, as a scenario module: a supervisor that restarts too eagerly. A worker asks a database
 * for each request and, in the "let it crash" style, crashes when the database does not answer within
 * 20 ms. When the database stalls (a pause: a long collection, a full disk), the worker crashes on
 * every request, its supervisor restarts it at once each time, and the restarts use up the
 * supervisor's intensity (3 in a second) within one stall: the supervisor gives up, and the service
 * stays down after the database is back. The fix (`fixed`): restarts back off (100 ms, doubling), so a
 * stall costs a restart or two and the service outlives it.
 *
 *   npx osprey sim dist/examples/sim/eager-supervisor.sim.js --seeds 200
 *   npx osprey sim dist/examples/sim/eager-supervisor.sim.js --export fixed --seeds 200
 */
import { type ActorRef, type Ask, fromSetup, type Kernel } from '../../boot/index.js';
import { type BackoffOptions, supervisor, type SupervisorMsg } from '../../supervisors/index.js';
import { scenario, type Sim } from '../../sim/index.js';

type DatabaseMsg = Ask<{ readonly type: 'read' }, number>;

const Database = fromSetup<DatabaseMsg>(() => ({ receive: (message, ctx) => ctx.reply(message, 42) }), 'Database');

type WorkerMsg = Ask<{ readonly type: 'request' }, number> | { readonly type: 'database-timed-out' };

/**
 * Asks the database for each request; crashes when it does not answer within 20 ms. Once: the other
 * requests of this incarnation time out too, and their news must not crash the next one.
 */
const Worker = fromSetup<WorkerMsg>(() => {
  let crashing = false;
  return {
    receive(message, ctx) {
      if (message.type === 'database-timed-out') throw new Error('the database did not answer within 20 ms');
      const answer = ctx.replyLater(message);
      ctx
        .lookup<DatabaseMsg>('database')!
        .ask({ type: 'read' }, { deadlineMs: 20 })
        .then(
          (value) => answer.resolve(value),
          () => {
            if (crashing) return;
            crashing = true;
            ctx.self.tell({ type: 'database-timed-out' });
          },
        );
    },
  };
}, 'Worker');

/** Backs off between restarts: 100 ms, then 200, 400, up to a second. */
const patientBackoff: BackoffOptions = { minDelayMs: 100, maxDelayMs: 1_000 };

const service = (backoff: BackoffOptions | undefined) =>
  scenario({
    name: backoff === undefined ? 'a supervisor that restarts at once' : 'a supervisor that backs off',
    setup(kernel: Kernel) {
      const database = kernel.spawn(Database, { name: 'database' });
      kernel.spawn<SupervisorMsg>(
        supervisor({
          restartsMax: 3,
          restartWindowMs: 1_000,
          ...(backoff !== undefined ? { backoff } : {}),
          children: [{ id: 'worker', start: Worker, options: { name: 'worker' } }],
        }),
        { name: 'service' },
      );
      return database;
    },
    async workload(kernel: Kernel, sim: Sim) {
      // A request every 10 ms for 400 ms; a crashed worker's requests fail, and the client moves on.
      for (let i = 0; i < 40; i++) {
        void kernel
          .lookup<WorkerMsg>('worker')
          ?.ask({ type: 'request' }, { deadlineMs: 50 })
          .catch(() => undefined);
        await sim.sleep(10);
      }
    },
    liveness: {
      withinMs: 2_000,
      'the service answers': async (kernel: Kernel) => {
        const worker = kernel.lookup<WorkerMsg>('worker');
        return worker !== undefined && (await worker.ask({ type: 'request' }, { deadlineMs: 50 }).catch(() => 0)) === 42;
      },
    },
    faults: { pausable: (_kernel: Kernel, database: ActorRef<DatabaseMsg>) => [database], pausesMax: 2, pauseMsMax: 100, windowMs: 400 },
  });

export default service(undefined);
export const fixed = service(patientBackoff);
