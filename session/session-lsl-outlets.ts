/**
 * A session's streams as Lab Streaming Layer outlets (`run --lsl-out`, `outputs.lslOut`):
 * `<prefix>-signals` (the raw blocks, float32 at the stream's rate), `<prefix>-features` (the
 * intracortical chain's bins, at 1 / bin width), `<prefix>-intents` (the decoder's intents: at
 * 1 / bin width when continuous, irregular when discrete) and `<prefix>-markers` (every marker of
 * the session as a string `type: value`, irregular). Each description carries `channels/channel`
 * with `label`, `unit` and `type` as the XDF meta-data conventions say, plus `manufacturer`
 * (neurostream) and the source's model. An outlet is opened when its stream's first item arrives
 * (its channels are known then); items that arrive while its ports are being bound wait for it.
 *
 * Timestamps are on this machine's LSL clock: sample `s` of the stream is stamped
 * `t + (s − last) / rate`, where `last` is the newest block's last sample and `t` the time it
 * arrived (its `hostTime` on the LSL clock); features at the end of their bin, markers at their
 * sample, intents when they are made (their latency is what a consumer measures).
 *
 * Pushing never waits: the outlet caps each consumer's unsent bytes and drops one that falls that
 * far behind (counted; the session is told once per drop).
 */
import type { Subscription } from 'rxjs';
import { hostNowMs, type ChannelKind, type ChannelUnit, type Marker, type SampleBlock, type StreamInfo } from '../core/index.js';
import { channelsDesc, lslClock, openLslOutlet, type LslConfig, type LslOutlet, type LslOutletOptions } from '../devices/index.js';
import type { SessionGraph } from './session-graph.js';

/** The default name prefix of a session's outlets. */
export const LSL_OUT_PREFIX = 'neurostream';

const UNIT_NAMES: Record<ChannelUnit, string> = { uV: 'microvolts', mV: 'millivolts', V: 'volts', g: 'g', count: 'counts' };
const KIND_TYPES: Partial<Record<ChannelKind, string>> = { eeg: 'EEG', ecog: 'ECOG', extracellular: 'Extracellular', accel: 'ACC', aux: 'AUX' };

/** Items waiting for an outlet still binding its ports, at most (older ones are dropped, counted). */
const MAX_WAITING = 4096;

export interface SessionLslOutletsOptions {
  config: LslConfig;
  prefix?: string;
  /** Consumers with more unsent bytes than this are dropped (the outlet's default: 32 MiB). */
  maxBufferedBytes?: number;
  /** An outlet opened, failed, or dropped a slow consumer: one line. */
  onNote?: (kind: 'note' | 'warning', text: string) => void;
}

/** What the outlets did so far, per outlet name. */
export interface SessionLslOutletStats {
  name: string;
  consumers: number;
  samplesPushed: number;
  droppedConsumers: number;
}

export interface SessionLslOutlets {
  /** The subscriptions to the graph (unsubscribed by the session with its other sinks). */
  readonly subscriptions: Subscription[];
  stats(): SessionLslOutletStats[];
  /** Resolves once every outlet is open (those whose stream has begun). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

type Push = { timestamps: ArrayLike<number>; values: ArrayLike<number> | readonly string[] };

/** One outlet, opened on its first item. */
class LazyOutlet {
  #outlet: LslOutlet | undefined;
  #opening: Promise<void> | undefined;
  #waiting: Push[] = [];
  #dropped = 0;
  #closed = false;
  #notify: SessionLslOutletsOptions['onNote'];

  constructor(readonly name: string, notify: SessionLslOutletsOptions['onNote']) {
    this.#notify = notify;
  }

  push(open: () => Omit<LslOutletOptions, 'config' | 'name'>, options: SessionLslOutletsOptions, item: Push): void {
    if (this.#closed) return;
    if (this.#outlet) {
      this.#send(item);
      return;
    }
    this.#waiting.push(item);
    if (this.#waiting.length > MAX_WAITING) this.#waiting.shift();
    if (this.#opening) return;
    this.#opening = openLslOutlet({ ...open(), config: options.config, name: this.name, ...(options.maxBufferedBytes !== undefined ? { maxBufferedBytes: options.maxBufferedBytes } : {}) }).then(
      async (outlet) => {
        if (this.#closed) {
          await outlet.close();
          return;
        }
        this.#outlet = outlet;
        this.#notify?.('note', `LSL outlet ${this.name} offered on port ${outlet.info.v4dataPort}`);
        for (const w of this.#waiting.splice(0)) this.#send(w);
      },
      (error: unknown) => {
        this.#closed = true;
        this.#waiting = [];
        this.#notify?.('warning', `LSL outlet ${this.name} could not open: ${error instanceof Error ? error.message : String(error)}`);
      },
    );
  }

  #send(item: Push): void {
    const outlet = this.#outlet!;
    outlet.push(item.timestamps, item.values);
    if (outlet.droppedConsumers > this.#dropped) {
      this.#dropped = outlet.droppedConsumers;
      this.#notify?.('warning', `LSL outlet ${this.name}: a consumer fell too far behind and was dropped (${this.#dropped} so far); acquisition goes on`);
    }
  }

  stats(): SessionLslOutletStats {
    const o = this.#outlet;
    return { name: this.name, consumers: o?.consumers ?? 0, samplesPushed: o?.samplesPushed ?? 0, droppedConsumers: o?.droppedConsumers ?? 0 };
  }

  async ready(): Promise<void> {
    await this.#opening;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#opening;
    await this.#outlet?.close();
  }
}

/** The text a marker is sent as: `type: value` (numbers as written, lists comma-separated). */
export function markerText(marker: Marker): string {
  const v = marker.value;
  return `${marker.type}: ${typeof v === 'string' ? v : typeof v === 'number' ? String(v) : v.join(',')}`;
}

/** The signals outlet's stream type: EEG when every neural channel is EEG, else the first neural kind's. */
function streamType(info: StreamInfo): string {
  if (info.channelKinds.includes('extracellular')) return 'Extracellular';
  if (info.channelKinds.includes('ecog')) return 'ECOG';
  return 'EEG';
}

/** The unit of a feature named `<feature>:<channel>` (spike counts, spike-band power, log power). */
function featureUnit(name: string): string {
  if (name.startsWith('tc:')) return 'counts';
  if (name.startsWith('sbp:')) return 'microvolts';
  return '';
}

/** Offers the graph's streams as outlets; see the module description. */
export function startSessionLslOutlets(graph: SessionGraph, options: SessionLslOutletsOptions): SessionLslOutlets {
  const prefix = options.prefix ?? LSL_OUT_PREFIX;
  const notify = options.onNote;
  const signals = new LazyOutlet(`${prefix}-signals`, notify);
  const features = new LazyOutlet(`${prefix}-features`, notify);
  const intents = new LazyOutlet(`${prefix}-intents`, notify);
  const markers = new LazyOutlet(`${prefix}-markers`, notify);
  const all = [signals, features, intents, markers];
  /** The sample clock: the newest block's last sample and its time on the LSL clock. */
  let anchor: { sample: number; t: number; rate: number } | undefined;
  const timeOf = (sample: number): number => (anchor ? anchor.t + (sample - anchor.sample) / anchor.rate : lslClock());
  let model = '';

  const subscriptions: Subscription[] = [
    graph.blocks$.subscribe((block: SampleBlock) => {
      const { info } = block;
      const n = info.channelNames.length;
      const L = block.length;
      const arrivedAt = lslClock() - (hostNowMs() - block.hostTime) / 1000;
      anchor = { sample: block.first + L - 1, t: arrivedAt, rate: info.sampleRateHz };
      model = info.device.model;
      const timestamps = new Float64Array(L);
      const values = new Float32Array(L * n);
      for (let i = 0; i < L; i++) {
        timestamps[i] = timeOf(block.first + i);
        for (let c = 0; c < n; c++) values[i * n + c] = block.data[c * L + i]!;
      }
      signals.push(
        () => ({
          type: streamType(info),
          channelCount: n,
          nominalSrateHz: info.sampleRateHz,
          channelFormat: 'float32',
          sourceId: `${prefix}-signals:${info.id}`,
          desc: channelsDesc(
            info.channelNames.map((label, c) => ({ label, unit: UNIT_NAMES[info.units[c]!], type: KIND_TYPES[info.channelKinds[c]!] ?? info.channelKinds[c]!.toUpperCase() })),
            { manufacturer: 'neurostream', model: info.device.model },
          ),
        }),
        options,
        { timestamps, values },
      );
    }),
    graph.features$.subscribe(({ frame, binS }) => {
      const rate = anchor?.rate ?? 1;
      features.push(
        () => ({
          type: 'Features',
          channelCount: frame.names.length,
          nominalSrateHz: 1 / binS,
          channelFormat: 'float32',
          sourceId: `${prefix}-features`,
          desc: channelsDesc(
            frame.names.map((label) => ({ label, unit: featureUnit(label), type: 'Feature' })),
            { manufacturer: 'neurostream', model },
          ),
        }),
        options,
        { timestamps: [timeOf(frame.t0 + Math.round(binS * rate) - 1)], values: frame.values },
      );
    }),
    graph.intents$.subscribe(({ intent, binS }) => {
      const labels = intent.labels ?? Array.from(intent.values, (_, i) => `intent${i + 1}`);
      intents.push(
        () => ({
          type: 'Control',
          channelCount: intent.values.length,
          nominalSrateHz: intent.kind === 'continuous' ? 1 / binS : 0,
          channelFormat: 'float32',
          sourceId: `${prefix}-intents`,
          desc: channelsDesc(
            labels.map((label) => ({ label, unit: intent.kind === 'discrete' ? 'probability' : '', type: intent.kind === 'discrete' ? 'Class' : 'Control' })),
            { manufacturer: 'neurostream', model, kind: intent.kind },
          ),
        }),
        options,
        { timestamps: [lslClock()], values: intent.values },
      );
    }),
    graph.markers$.subscribe(({ marker, origin }) => {
      markers.push(
        () => ({
          type: 'Markers',
          channelCount: 1,
          nominalSrateHz: 0,
          channelFormat: 'string',
          sourceId: `${prefix}-markers`,
          desc: channelsDesc([{ label: 'marker', unit: '', type: 'Marker' }], { manufacturer: 'neurostream' }),
        }),
        options,
        { timestamps: [origin === 'operator' ? lslClock() : timeOf(marker.sample)], values: [markerText(marker)] },
      );
    }),
  ];

  return {
    subscriptions,
    stats: () => all.map((o) => o.stats()),
    ready: async () => {
      await Promise.all(all.map((o) => o.ready()));
    },
    close: async () => {
      await Promise.all(all.map((o) => o.close()));
    },
  };
}
