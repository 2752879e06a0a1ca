import { expect } from 'chai';
import { ObservedStream } from '../../../actors/runtime/events.js';

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
