import { describe, expect, it } from 'vitest';
import { TestScheduler } from 'rxjs/testing';
import { operate, operatorObserver } from '../../core/operate.js';

const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

/** A running sum whose state lives in the subscription; throws on a negative value. */
const runningSum = operate<number, number>((source, subscriber) => {
  let sum = 0;
  return source.subscribe(
    operatorObserver(subscriber, (x: number) => {
      if (x < 0) throw new Error(`negative: ${x}`);
      sum += x;
      subscriber.next(sum);
    }),
  );
});

describe('operate', () => {
  it('keeps state per subscription and passes completion on', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('a-b-c|', { a: 1, b: 2, c: 3 });
      expectObservable(source.pipe(runningSum)).toBe('a-b-c|', { a: 1, b: 3, c: 6 });
      // A second subscription starts from its own zero.
      expectObservable(source.pipe(runningSum)).toBe('a-b-c|', { a: 1, b: 3, c: 6 });
    });
  });

  it('turns what next throws into the error, and unsubscribes from the source', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a-b-c-d|', { a: 1, b: -2, c: 3, d: 4 });
      expectObservable(source.pipe(runningSum)).toBe('a-#', { a: 1 }, new Error('negative: -2'));
      expectSubscriptions(source.subscriptions).toBe('^-!');
    });
  });

  it('passes a source error on, or runs the handlers given', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('a-#', { a: 1 }, new Error('source')).pipe(runningSum)).toBe('a-#', { a: 1 }, new Error('source'));
      const withEnd = operate<number, number>((source, subscriber) =>
        source.subscribe(
          operatorObserver(subscriber, (x: number) => subscriber.next(x), {
            complete: () => {
              subscriber.next(-1);
              subscriber.complete();
            },
          }),
        ),
      );
      expectObservable(cold('a-b|', { a: 1, b: 2 }).pipe(withEnd)).toBe('a-b(e|)', { a: 1, b: 2, e: -1 });
    });
  });
});
