/**
 * The stream API (`/stream?topics=…`): programs that subscribe to the session's features,
 * intents, markers and health. Unlike a page, a subscriber is not paced by frames: each item is
 * sent the moment it is published. A subscriber that is behind gets nothing built; what it missed
 * is counted and told to it (`{ type: 'dropped', topic, count }`) as soon as it keeps up again.
 */
import type { FeatureFrame } from '../../core/feature-frame.js';
import type { Intent } from '../../core/intent.js';
import type { StreamHealth } from '../../acquisition/health/stream-health.js';
import type { LatencyHistogram } from '../kernels/latency-histogram.js';
import { FrameType, createDashboardFrame } from '../protocol/dashboard-frames.js';
import { MessageType, STREAM_API_NAME, type DashboardSessionStatus, type StreamHello } from '../protocol/dashboard-messages.js';
import type { DashboardClient, StreamTopic } from '../server/dashboard-server.js';
import { healthFrame, histogramFrame, nextSequence } from './health-frames.js';
import { helloBase, type PublisherStream } from './publisher-stream.js';

/** A stream API subscriber: what it asked for and what it missed while it was behind. */
interface Subscriber {
  readonly client: DashboardClient;
  sequence: number;
  /** Items not sent (the subscriber was behind), by topic; told once it keeps up again. */
  readonly missed: Map<StreamTopic, number>;
  /** The feature names were sent (they precede the first features frame). */
  namesSent: boolean;
}

function sameNames(a: readonly string[] | undefined, b: readonly string[]): boolean {
  return a !== undefined && a.length === b.length && a.every((n, i) => n === b[i]);
}

export class StreamApi {
  private readonly subscribers = new Map<DashboardClient, Subscriber>();
  private featureNames: readonly string[] | undefined;
  private featureBinS = 0;
  /** Skipped items of subscribers that have gone (for the metrics' running total). */
  skippedByGone = 0;

  /** Subscribers connected. */
  get size(): number {
    return this.subscribers.size;
  }

  /** A new subscriber: its hello, then the feature names when it takes features. */
  connect(client: DashboardClient, stream: PublisherStream | undefined): void {
    const sub: Subscriber = { client, sequence: 0, missed: new Map(), namesSent: false };
    this.subscribers.set(client, sub);
    client.send(this.hello(client, stream));
    if (this.featureNames && client.topics.has('features')) {
      client.send({ type: MessageType.Features, names: this.featureNames, binS: this.featureBinS });
      sub.namesSent = true;
    }
  }

  /** Re-describes the stream to every subscriber. */
  helloAll(stream: PublisherStream | undefined): void {
    for (const sub of this.subscribers.values()) sub.client.send(this.hello(sub.client, stream));
  }

  /** A feature frame: its names first (once, and again when they change), then its values. */
  publishFeatures(frame: FeatureFrame, binS: number, stream: PublisherStream): void {
    if (this.featureNames !== frame.names && !sameNames(this.featureNames, frame.names)) {
      this.featureNames = frame.names;
      this.featureBinS = binS;
      for (const sub of this.subscribers.values()) sub.namesSent = false;
    }
    this.publish('features', (sub) => {
      if (!sub.namesSent) {
        sub.client.send({ type: MessageType.Features, names: frame.names, binS });
        sub.namesSent = true;
      }
      const draft = createDashboardFrame(FrameType.Features, {
        sequence: nextSequence(sub),
        channels: frame.values.length,
        columns: 1,
        time: frame.t0 / stream.info.sampleRateHz,
        step: binS,
        firstColumn: frame.bin >>> 0,
      });
      draft.payloads[0]!.set(frame.values);
      return draft.bytes;
    });
  }

  /** A decoded intent: its values and latency split. */
  publishIntent(intent: Intent, binS: number): void {
    const dims = intent.values.length;
    this.publish('intents', (sub) => {
      const draft = createDashboardFrame(FrameType.Intent, { sequence: nextSequence(sub), channels: dims, columns: 1, time: intent.bin * binS, step: binS, firstColumn: intent.bin >>> 0 });
      draft.payloads[0]!.set(intent.values);
      const l = draft.payloads[1]!;
      l[0] = intent.latency.acquisitionMs;
      l[1] = intent.latency.featuresMs;
      l[2] = intent.latency.decodeMs;
      return draft.bytes;
    });
  }

  /** A marker message (as the pages get it). */
  publishMarker(message: object): void {
    this.publish('markers', () => message);
  }

  /** Forgets subscribers that have gone; to those of `health`, the status, health and histogram frames of a status round. */
  serve(
    round: { session: DashboardSessionStatus; status: object } | undefined,
    stream: PublisherStream | undefined,
    tick: number,
    snapshot: ReturnType<StreamHealth['snapshot']> | undefined,
    histogram: LatencyHistogram,
  ): void {
    for (const sub of [...this.subscribers.values()]) {
      if (!sub.client.open) {
        this.skippedByGone += sub.client.stats().skipped;
        this.subscribers.delete(sub.client);
      }
    }
    if (!round || !stream) return;
    this.publish('health', () => round.status);
    this.publish('health', (sub) => healthFrame(sub, tick, stream, snapshot, histogram, round.session, sub.client));
    this.publish('health', (sub) => histogramFrame(sub, histogram));
  }

  /** The final status, to the subscribers of `health`. */
  close(status: object): void {
    for (const sub of this.subscribers.values()) if (sub.client.topics.has('health')) sub.client.send(status);
  }

  private hello(client: DashboardClient, stream: PublisherStream | undefined): StreamHello {
    return { ...helloBase(client, stream), api: STREAM_API_NAME, topics: [...client.topics] };
  }

  /** Sends each subscriber of `topic` what `build` makes for it, now; counts what a subscriber that is behind misses. */
  private publish(topic: StreamTopic, build: (sub: Subscriber) => Uint8Array | object): void {
    for (const sub of this.subscribers.values()) {
      if (!sub.client.topics.has(topic)) continue;
      if (!sub.client.ready()) {
        sub.client.countSkipped();
        sub.missed.set(topic, (sub.missed.get(topic) ?? 0) + 1);
        continue;
      }
      if (sub.missed.size > 0) {
        for (const [t, count] of sub.missed) sub.client.send({ type: MessageType.Dropped, topic: t, count });
        sub.missed.clear();
      }
      sub.client.send(build(sub));
    }
  }
}
