import { describe, expect, it } from 'vitest';
import { PacketCounter } from '../../session/packet-counter.js';

describe('PacketCounter', () => {
  it('sums the counts of every parser a reconnecting driver goes through', () => {
    const counter = new PacketCounter<{ lost: number; bad: number }>((s) => ({ lost: s.lost, corrupt: s.bad }));
    expect(counter.totals()).toEqual({ lost: 0, corrupt: 0 });
    const first = { lost: 0, bad: 0 };
    counter.observe(first);
    first.lost = 3;
    first.bad = 1;
    counter.observe(first);
    expect(counter.totals()).toEqual({ lost: 3, corrupt: 1 });
    const second = { lost: 2, bad: 0 }; // reconnected: a new parser, counting from zero
    counter.observe(second);
    expect(counter.totals()).toEqual({ lost: 5, corrupt: 1 });
    second.bad = 4;
    expect(counter.totals()).toEqual({ lost: 5, corrupt: 5 });
  });
});
