/**
 * The session graph's streams, in virtual time (marble tests): blocks$ is hot and shared (nothing
 * flows before connect), markers$ carries the stream's and an operator's markers in order,
 * health$ ticks once per interval (undefined before the first block), and end() completes the
 * streams after the source's last block.
 */
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { createMarker, createSampleBlock, type SampleBlock } from '../../core/index.js';
import { sessionGraph, byFirst } from '../../session/index.js';
import { from, map } from 'rxjs';
import { testStreamInfo } from '../helpers/stream-info.js';

const info = testStreamInfo();
function block(first: number, markers?: string[]): SampleBlock {
  return createSampleBlock({ info, first, length: 10, data: new Float32Array(10 * info.channelNames.length), hostTime: first, ...(markers ? { markers: markers.map((v) => createMarker(first, 'cue', v)) } : {}) });
}

function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

describe('sessionGraph (marbles)', () => {
  it('shares one hot blocks$: two sinks see the same blocks, from connect() on', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const a = block(0);
      const b = block(10);
      const source = cold('-a-b|', { a, b });
      const graph = sessionGraph(source, { dsp: false, mainsHz: 60 });
      expectObservable(graph.blocks$.pipe(map((x) => x.first))).toBe('-a-b|', { a: 0, b: 10 });
      expectObservable(graph.blocks$.pipe(map((x) => x.length))).toBe('-a-b|', { a: 10, b: 10 });
      graph.connect();
    });
  });

  it("carries the stream's markers and an operator's, at the newest sample, in order", () => {
    scheduler().run(({ cold, expectObservable, flush }) => {
      const source = cold('-a--b|', { a: block(0, ['left']), b: block(10, ['right']) });
      const graph = sessionGraph(source, { dsp: false, mainsHz: 60 });
      expectObservable(graph.markers$.pipe(map(({ marker, origin }) => `${origin}:${marker.value}@${marker.sample}`))).toBe('-a-ob-|', {
        a: 'stream:left@0',
        o: 'operator:note@10',
        b: 'stream:right@10',
      });
      graph.connect();
      cold('---x').subscribe(() => graph.addMarker('annotation', 'note'));
      cold('------x').subscribe(() => graph.end());
      flush();
    });
  });

  it('ticks health$ once per interval, undefined until the first block, and stops at end()', () => {
    scheduler().run(({ cold, expectObservable, flush }) => {
      const source = cold('1500ms a 999ms b', { a: block(0), b: block(10) });
      const graph = sessionGraph(source, { dsp: false, mainsHz: 60, healthIntervalS: 1, now: () => 0 });
      expectObservable(graph.health$.pipe(map((h) => (h === undefined ? 'none' : h.samples)))).toBe('1000ms a 999ms b 999ms c 499ms |', { a: 'none', b: 10, c: 20 });
      graph.connect();
      cold('3500ms x').subscribe(() => graph.end());
      flush();
    });
  });

  it('monitors signal quality (quality$ and its markers), unless quality: false', () => {
    // Three seconds of a channel that never changes: flat from its first window on.
    const still = [0, 1, 2].map((k) => createSampleBlock({ info, first: k * 1000, length: 1000, data: new Float32Array(1000), hostTime: 0 }));
    const seen = (quality: boolean | undefined): { reports: string[]; markers: string[] } => {
      const graph = sessionGraph(from(still), { dsp: false, mainsHz: 60, ...(quality === undefined ? {} : { quality }) });
      const reports: string[] = [];
      const markers: string[] = [];
      graph.quality$.subscribe((r) => reports.push(`${r.sample}:${r.channels.map((q) => q.status).join()}`));
      graph.markers$.subscribe(({ marker, origin }) => markers.push(`${origin}:${marker.value}@${marker.sample}`));
      graph.connect();
      return { reports, markers };
    };
    expect(seen(undefined)).toEqual({ reports: ['1000:flat', '2000:flat', '3000:flat'], markers: ['quality:a flat@0'] });
    expect(seen(true)).toEqual(seen(undefined));
    expect(seen(false)).toEqual({ reports: [], markers: [] });
  });

  it('byFirst picks the operator from the first value and passes it through', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-b-c|', { a: 2, b: 3, c: 4 });
      expectObservable(source.pipe(byFirst((first: number) => map((x: number) => x * first)))).toBe('-a-b-c|', { a: 4, b: 6, c: 8 });
    });
  });
});
