import { describe, expect, it } from 'vitest';
import { InvalidDataError } from '../../../core/errors.js';
import { defaultTraceView, layoutTraceView, parseTraceView } from '../../../dashboard/publisher/trace-view.js';
import { thrown } from '../../helpers/thrown.js';

const limits = { channels: 64, baseColumnsPerSecond: 1000, maxWindowS: 10, maxViewChannels: 32 };

describe('trace views', () => {
  it('lays out whole base columns per pixel column, never finer than one', () => {
    expect(layoutTraceView(Int32Array.of(0), 5, 1000, limits)).toMatchObject({ factor: 5, columns: 1000, step: 0.005 });
    expect(layoutTraceView(Int32Array.of(0), 10, 1500, limits)).toMatchObject({ factor: 7, columns: 1429 });
    expect(layoutTraceView(Int32Array.of(0), 1, 4000, limits)).toMatchObject({ factor: 1, columns: 1000, step: 0.001 });
    expect(defaultTraceView(limits)).toMatchObject({ windowS: 5, factor: 5, columns: 1000 });
    expect(Array.from(defaultTraceView(limits).channels)).toEqual(Array.from({ length: 16 }, (_, i) => i));
    expect(defaultTraceView({ ...limits, channels: 3 }).channels.length).toBe(3);
  });

  it('checks every field of a view request and names the one that is wrong', () => {
    const good = { type: 'view', channels: [3, 1, 2], windowS: 2, columns: 800 };
    expect(Array.from(parseTraceView(good, limits).channels)).toEqual([3, 1, 2]);
    const field = (change: Record<string, unknown>): string => (thrown(() => parseTraceView({ ...good, ...change }, limits)) as InvalidDataError).field;
    expect(field({ channels: [] })).toBe('view.channels');
    expect(field({ channels: 'all' })).toBe('view.channels');
    expect(field({ channels: Array.from({ length: 33 }, (_, i) => i) })).toBe('view.channels');
    expect(field({ channels: [1, 1] })).toBe('view.channels[1]');
    expect(field({ channels: [64] })).toBe('view.channels[0]');
    expect(field({ channels: [0.5] })).toBe('view.channels[0]');
    expect(field({ windowS: 11 })).toBe('view.windowS');
    expect(field({ windowS: 0.001 })).toBe('view.windowS');
    expect(field({ windowS: '2' })).toBe('view.windowS');
    expect(field({ columns: 8 })).toBe('view.columns');
    expect(field({ columns: 5000 })).toBe('view.columns');
    expect(field({ columns: 100.5 })).toBe('view.columns');
  });
});
