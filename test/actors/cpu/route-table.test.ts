import { expect } from 'chai';
import fc from 'fast-check';
import { RouteTable } from '../../../actors/cpu/route-table.js';
import type { Cell } from '../../../actors/runtime/cell.js';

type Operation =
  | { readonly kind: 'set'; readonly pid: number; readonly way: number }
  | { readonly kind: 'delete'; readonly pid: number }
  | { readonly kind: 'switch-all'; readonly from: number; readonly to: number }
  | { readonly kind: 'delete-all'; readonly way: number };

const pid = fc.integer({ min: 1, max: 12 });
const way = fc.integer({ min: 0, max: 4 });
const operationArbitrary: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), pid, way }),
  fc.record({ kind: fc.constant('delete' as const), pid }),
  fc.record({ kind: fc.constant('switch-all' as const), from: way, to: way }),
  fc.record({ kind: fc.constant('delete-all' as const), way }),
);

describe('RouteTable', () => {
  it('answers as a plain map of routes does, and its index of pids per way agrees with it', () => {
    // Stand-in cells: the table only compares them.
    const ways = Array.from({ length: 5 }, (_, index) => ({ index }) as unknown as Cell);
    fc.assert(
      fc.property(fc.array(operationArbitrary, { maxLength: 200 }), (operations) => {
        const table = new RouteTable();
        const model = new Map<number, Cell>();
        for (const operation of operations) {
          switch (operation.kind) {
            case 'set':
              table.set(operation.pid, ways[operation.way]!);
              model.set(operation.pid, ways[operation.way]!);
              break;
            case 'delete':
              table.delete(operation.pid);
              model.delete(operation.pid);
              break;
            case 'switch-all':
              table.switchAll(ways[operation.from]!, ways[operation.to]!);
              for (const [key, value] of model) if (value === ways[operation.from]) model.set(key, ways[operation.to]!);
              break;
            case 'delete-all':
              table.deleteAll(ways[operation.way]!);
              for (const [key, value] of [...model]) if (value === ways[operation.way]) model.delete(key);
              break;
          }
          expect(table.size).to.equal(model.size);
        }
        for (let key = 1; key <= 12; key++) expect(table.get(key)).to.equal(model.get(key));
        for (const each of ways) {
          const expected = [...model].filter(([, value]) => value === each).map(([key]) => key);
          expect(table.pidsTo(each).sort((a, b) => a - b)).to.deep.equal(expected.sort((a, b) => a - b));
        }
        const indexOf = (cell: Cell) => ways.indexOf(cell);
        expect([...table.ways()].map(indexOf).sort()).to.deep.equal([...new Set(model.values())].map(indexOf).sort());
      }),
    );
  });
});
