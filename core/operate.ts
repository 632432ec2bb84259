/**
 * `operate()` and `operatorObserver()` — the two small helpers every neurostream operator is built
 * on, as RxJS's own operators are (`operate((source, subscriber) => …)`): the operator's state is
 * declared inside `init`, so it is created per subscription and released with it, and the
 * observer routes what `next` throws to the subscriber's `error` (a bad block ends the stream with
 * a clear error, never an exception thrown into the producer), passes `error` and `complete` on
 * unless told otherwise.
 */
import { Observable, type Observer, type OperatorFunction, type Subscriber, type TeardownLogic } from 'rxjs';

/**
 * An operator from its subscription-time set-up: `init(source, subscriber)` declares the state,
 * subscribes to `source` (usually with {@link operatorObserver}) and returns the teardown (the
 * source's subscription, or a function that also releases buffers).
 */
export function operate<T, R>(init: (source: Observable<T>, subscriber: Subscriber<R>) => TeardownLogic): OperatorFunction<T, R> {
  return (source) => new Observable<R>((subscriber) => init(source, subscriber));
}

/** Overrides of {@link operatorObserver}: what to do on the source's completion or error. */
export interface OperatorObserverHandlers {
  /** Default: complete the subscriber. */
  complete?: () => void;
  /** Default: pass the error on. */
  error?: (error: unknown) => void;
}

/**
 * The observer an operator subscribes to its source with: `next` runs `onNext`, and whatever it
 * throws becomes the subscriber's error; `complete` and `error` pass on (or run the handlers given).
 */
export function operatorObserver<T>(subscriber: Subscriber<unknown>, onNext: (value: T) => void, handlers: OperatorObserverHandlers = {}): Observer<T> {
  return {
    next: (value) => {
      try {
        onNext(value);
      } catch (error) {
        subscriber.error(error);
      }
    },
    error: handlers.error ?? ((error: unknown) => subscriber.error(error)),
    complete: handlers.complete ?? (() => subscriber.complete()),
  };
}
