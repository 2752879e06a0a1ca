import { expect } from 'chai';
import { eventCpu, firstEventId, ObservedStream } from '../../../actors/runtime/events.js';
import { cpusMax } from '../../../ground/pid.js';

describe('ObservedStream', () => {
  it('is active exactly while someone subscribes', () => {
    const stream = new ObservedStream<number>();
    expect(stream.active).to.equal(false);
    const seen: number[] = [];
    const a = stream.stream.subscribe((v) => seen.push(v));
    const b = stream.stream.subscribe((v) => seen.push(v * 10));
    expect(stream.active).to.equal(true);
    stream.emit(1);
    a.unsubscribe();
    expect(stream.active).to.equal(true);
    stream.emit(2);
    b.unsubscribe();
    expect(stream.active).to.equal(false);
    stream.emit(3);
    expect(seen).to.deep.equal([1, 10, 20]);
  });

  it('lets a subscriber subscribe or unsubscribe others while an event is being delivered', () => {
    const stream = new ObservedStream<number>();
    const seen: string[] = [];
    const first = stream.stream.subscribe((v) => {
      seen.push(`first ${v}`);
      if (v === 1) {
        stream.stream.subscribe((w) => seen.push(`late ${w}`));
        first.unsubscribe();
      }
    });
    stream.stream.subscribe((v) => seen.push(`second ${v}`));
    stream.emit(1);
    stream.emit(2);
    expect(seen).to.deep.equal(['first 1', 'second 1', 'second 2', 'late 2']);
  });

  it('tells its watcher when the first subscriber comes and the last one leaves, and not after it completed', () => {
    const stream = new ObservedStream<number>();
    const changes: boolean[] = [];
    stream.onActiveChange = (active) => changes.push(active);
    const a = stream.stream.subscribe(() => {});
    const b = stream.stream.subscribe(() => {});
    a.unsubscribe();
    b.unsubscribe();
    expect(changes).to.deep.equal([true, false]);
    stream.stream.subscribe(() => {});
    stream.complete();
    expect(changes, 'completing is the end, not a change to report').to.deep.equal([true, false, true]);
  });

  it('completes its subscribers, and completes later ones at once', () => {
    const stream = new ObservedStream<number>();
    const done: string[] = [];
    stream.stream.subscribe({ complete: () => done.push('early') });
    stream.complete();
    expect(stream.active).to.equal(false);
    stream.stream.subscribe({ complete: () => done.push('late') });
    expect(done).to.deep.equal(['early', 'late']);
  });
});

describe('event ids', () => {
  it('carry their CPU, and every CPU and incarnation numbers in a range of its own', () => {
    expect(firstEventId(0, 0), 'a one-CPU kernel numbers its events 1, 2, 3 …').to.equal(0);
    const starts = new Set<number>();
    for (let cpu = 0; cpu < cpusMax; cpu++) {
      for (const incarnation of [0, 1, 255]) {
        const first = firstEventId(cpu, incarnation);
        starts.add(first);
        expect(eventCpu(first + 1)).to.equal(cpu);
        expect(Number.isSafeInteger(first + 2 ** 40 - 1), 'its last id too').to.equal(true);
      }
    }
    expect(starts.size).to.equal(cpusMax * 3);
    expect(firstEventId(3, 256), 'incarnations wrap after 256').to.equal(firstEventId(3, 0));
  });
});
