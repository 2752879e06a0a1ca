import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const demo = fileURLToPath(new URL('../../bin/demo.js', import.meta.url));

function runDemo(cpus: number): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [demo], { env: { ...process.env, OSPREY_CPUS: String(cpus) }, timeout: 20_000 }, (error, stdout) => {
      resolve({ code: error === null ? 0 : ((error as { code?: number }).code ?? 1), stdout });
    });
  });
}

describe('npm start (the demo)', function () {
  this.timeout(30_000);
  for (const cpus of [1, 2]) {
    it(`runs to a graceful shutdown with ${cpus} cpu(s)`, async () => {
      const { code, stdout } = await runDemo(cpus);
      expect(code, stdout).to.equal(0);
      expect(stdout).to.contain(`${cpus} cpu(s)`);
      expect(stdout).to.match(new RegExp(`12² = 144, computed by <${cpus - 1}\\.`));
      expect(stdout).to.contain('restart of');
      expect(stdout).to.contain('it read 1024 pages');
      expect(stdout).to.match(/vm: 64 MiB physical, [\d.]+ MiB free, 1 mapping\(s\), faults 0 × 4 KiB and 2 × 2 MiB, pressure normal/);
      expect(stdout).to.contain('kernel shut down gracefully');
    });
  }
});
