/**
 * CytonParser — an incremental state machine from the bytes of an OpenBCI Cyton (or Cyton +
 * Daisy) to samples. Feed it chunks of any size, split anywhere: the same bytes give the same
 * samples. It never throws on bad bytes and never waits for more than one packet of them.
 *
 * Framing: a packet is 33 bytes, header 0xA0 (0x41 for a board wired without the dongle) …
 * stop byte 0xC0–0xCF at +32. While in sync, a candidate whose counter follows the last one is
 * accepted on its stop byte; otherwise (at the start, after a loss of sync or a counter jump) it
 * must also be followed by the next header at +33 — one byte of latency, only then. A rejected
 * candidate skips one byte and the rest are scanned again — nothing after a bad byte is lost.
 * Bytes outside packets are counted as skipped and collected as text; text ending in `$$$` (the
 * board's end-of-reply marker) is handed to `onText`.
 *
 * Counting: the 8-bit sample counter tells how many packets are missing between two received ones
 * (modulo 256). The counter has no checksum, so a packet whose counter breaks the sequence is held
 * until the next packet decides (one packet of latency, only for such packets; `end()` decides a
 * packet still held at the end of the input from its counter alone):
 *  - the next packet follows the held one: the link lost packets before it — a gap of that size;
 *  - the next packet is in sequence with the packet *before* the held one (it comes no further
 *    than the held counter claims): the held counter is corrupt — one flipped bit would otherwise
 *    read as a loss of up to 255 packets and stretch the timeline. The packet is counted corrupt.
 *    If exactly one slot lies between its neighbours, the packet was received in that slot: its
 *    sample is kept there (its channel data are no less trustworthy than any other packet's — the
 *    protocol has no checksum for them either). If there is no slot (a phantom packet) or more
 *    than one (which one it filled is unknown) it is dropped: never placed where it may not belong,
 *    never adding a sample, and the gap of the next packet covers its slot.
 * Missing packets are told apart: a packet whose bytes arrived but could not be framed (about 33
 * bytes skipped in its place: a flipped header or stop byte, a truncated packet) is counted
 * corrupt; the rest were never received and are counted dropped. Either way its sample is a gap.
 * With a Daisy, odd packets carry channels 1–8 and the following even packet channels 9–16; the
 * pair makes one 16-channel sample (OpenBCI's JS SDK pairing, closest in time); a packet without
 * its partner is dropped and the lost 16-channel samples are counted.
 *
 * Memory: fixed buffers only; the text buffer is bounded (`maxTextBytes`).
 */
import { checkInteger, checkOneOf } from '../../../core/index.js';
import {
  CYTON_CHANNELS,
  CYTON_HEADER,
  CYTON_HEADER_WIRED,
  CYTON_PACKET_BYTES,
  CYTON_STOP_MAX,
  CYTON_STOP_MIN,
  CytonPacketType,
} from './cyton-constants.js';

/**
 * One decoded sample. The parser reuses this object and its arrays: read them inside the
 * callback, copy what you keep.
 */
export interface CytonSample {
  /** Counter of the packet that completed the sample (0–255). */
  sampleNumber: number;
  /** ADC counts, 8 or 16 channels. */
  readonly counts: Int32Array;
  /** Stop byte & 0x0F of the packet that completed the sample. */
  packetType: number;
  /** Accelerometer counts X, Y, Z; only the axes flagged in `accelMask` are new. */
  readonly accel: Int16Array;
  /** Bit k set: axis k was updated by this sample (the board sends zeros between updates). */
  accelMask: number;
  /** Board time in ms for time-stamped packet types, else −1. */
  boardTimeMs: number;
  /** The 6 raw aux bytes of the completing packet. */
  readonly aux: Uint8Array;
  /** Samples lost immediately before this one, from the sample counter. */
  missedBefore: number;
}

export interface CytonParserOptions {
  /** Cyton + Daisy (16 channels from odd/even packet pairs). Default false. */
  daisy?: boolean;
  /** Packet header: 0xA0 through the dongle (default), 0x41 wired. */
  header?: number;
  /** Called for every sample. */
  onSample: (sample: CytonSample) => void;
  /** Called with each text reply (without its `$$$`). */
  onText?: (text: string) => void;
  /** Most text bytes kept while waiting for `$$$`. Default 4096. */
  maxTextBytes?: number;
}

export interface CytonParserStats {
  /** Packets accepted. */
  packets: number;
  /** Bytes that were not part of an accepted packet. */
  skippedBytes: number;
  /** Packets never received, according to the sample counter (less those counted corrupt). */
  droppedPackets: number;
  /**
   * Packets received damaged: a counter that broke the sequence once (kept in its slot or
   * dropped, see above), or bytes in a packet's place that could not be framed.
   */
  corruptPackets: number;
  /** Samples missing from the output, dropped or corrupt (packets for a Cyton; 16-channel pairs for a Daisy). */
  droppedSamples: number;
  /** Candidate packets rejected for a bad stop byte or a missing next header. */
  resyncs: number;
}

const isStop = (b: number): boolean => b >= CYTON_STOP_MIN && b <= CYTON_STOP_MAX;

function int24(b: Uint8Array, o: number): number {
  const v = (b[o]! << 16) | (b[o + 1]! << 8) | b[o + 2]!;
  return v & 0x800000 ? v - 0x1000000 : v;
}

function int16(b: Uint8Array, o: number): number {
  const v = (b[o]! << 8) | b[o + 1]!;
  return v & 0x8000 ? v - 0x10000 : v;
}

export class CytonParser {
  readonly daisy: boolean;
  readonly channels: number;
  readonly stats: CytonParserStats = { packets: 0, skippedBytes: 0, droppedPackets: 0, corruptPackets: 0, droppedSamples: 0, resyncs: 0 };

  private readonly header: number;
  private readonly onSample: (sample: CytonSample) => void;
  private readonly onText: ((text: string) => void) | undefined;
  private readonly maxTextBytes: number;

  /** Candidate packet (+1 byte of look-ahead while out of sync). */
  private readonly buf = new Uint8Array(CYTON_PACKET_BYTES + 1);
  private have = 0;
  private synced = false;
  /** Bytes to scan again after a rejected candidate (never more than one packet's worth). */
  private pending = new Uint8Array(2 * CYTON_PACKET_BYTES);
  private pendingSpare = new Uint8Array(2 * CYTON_PACKET_BYTES);
  private pendingStart = 0;
  private pendingEnd = 0;

  private lastCounter = -1;
  /** A framed packet whose counter broke the sequence, until the next packet decides. */
  private readonly held = new Uint8Array(CYTON_PACKET_BYTES);
  private holding = false;
  /** Bytes skipped before the held packet. */
  private heldSkipped = 0;
  /** Bytes skipped since the last framed packet. */
  private skippedRun = 0;
  /** Slots since the last decoded packet taken by corrupt packets that were dropped (already counted corrupt). */
  private corruptSlots = 0;
  private lastPair = -1;
  private lowerValid = false;
  private lowerCounter = 0;
  private readonly lowerCounts = new Int32Array(CYTON_CHANNELS);
  private readonly lowerAccel = new Int16Array(3);
  private lowerAccelMask = 0;

  private readonly packetAccel = new Int16Array(3);
  private readonly sample: CytonSample;
  private text: number[] = [];
  private dollars = 0;

  constructor(options: CytonParserOptions) {
    this.daisy = options.daisy ?? false;
    this.channels = this.daisy ? 2 * CYTON_CHANNELS : CYTON_CHANNELS;
    this.header = checkOneOf('option', 'header', options.header ?? CYTON_HEADER, [CYTON_HEADER, CYTON_HEADER_WIRED]);
    this.maxTextBytes = checkInteger('option', 'maxTextBytes', options.maxTextBytes ?? 4096, { min: 3, max: 1 << 20 });
    this.onSample = options.onSample;
    this.onText = options.onText;
    this.sample = {
      sampleNumber: 0,
      counts: new Int32Array(this.channels),
      packetType: 0,
      accel: new Int16Array(3),
      accelMask: 0,
      boardTimeMs: -1,
      aux: new Uint8Array(6),
      missedBefore: 0,
    };
  }

  /**
   * Forget the sample counter (the link was lost, or streaming restarts: the board resets it on
   * `b`). A packet still held for its counter is decided from its counter alone first, as in
   * `end()`: nothing that follows can contradict it now, and a counter that jumped is more often
   * a real gap than a flipped bit, so its sample is delivered (after the gap its counter tells).
   */
  resetCounter(): void {
    if (this.holding) {
      this.holding = false;
      this.decode(this.held, this.held[1]!, this.heldSkipped);
    }
    this.lastCounter = -1;
    this.lastPair = -1;
    this.lowerValid = false;
    this.holding = false;
    this.corruptSlots = 0;
    this.skippedRun = 0;
  }

  /**
   * The input ended: a last packet waiting for the next header is accepted, and a packet held for
   * its counter is decided from its counter alone (nothing follows that could contradict it).
   */
  end(): void {
    this.push(Uint8Array.of(this.header));
    if (this.have === 1) this.have = 0; // the header pushed here, not a packet
    if (this.holding) {
      this.holding = false;
      this.decode(this.held, this.held[1]!, this.heldSkipped);
    }
  }

  /** Packets held for their counter (0 or 1). */
  get heldPackets(): number {
    return this.holding ? 1 : 0;
  }

  /** Feeds bytes; samples and text replies are delivered through the callbacks. */
  push(chunk: Uint8Array): void {
    for (let i = 0; i < chunk.length; i++) {
      this.step(chunk[i]!);
      while (this.pendingStart < this.pendingEnd) this.step(this.pending[this.pendingStart++]!);
    }
  }

  /** Bytes held while waiting for the rest of a candidate packet. */
  get bufferedBytes(): number {
    return this.have + this.pendingEnd - this.pendingStart;
  }

  private step(b: number): void {
    const buf = this.buf;
    if (this.have === 0) {
      if (b === this.header) {
        buf[0] = b;
        this.have = 1;
      } else {
        this.skip(b);
      }
      return;
    }
    buf[this.have++] = b;
    if (this.have === CYTON_PACKET_BYTES) {
      if (!isStop(buf[CYTON_PACKET_BYTES - 1]!)) {
        this.reject();
      } else if (this.synced && this.lastCounter >= 0 && buf[1] === ((this.lastCounter + 1) & 0xff)) {
        this.have = 0;
        this.accept();
      }
      return;
    }
    if (this.have === CYTON_PACKET_BYTES + 1) {
      // Out of sync, or the counter jumped: accept only if the next packet's header follows.
      if (b === this.header) {
        this.synced = true;
        this.accept();
        buf[0] = b;
        this.have = 1;
      } else {
        this.reject();
      }
    }
  }

  /** The candidate at buf[0] is not a packet: skip its first byte, scan the rest again. */
  private reject(): void {
    this.stats.resyncs++;
    this.synced = false;
    this.skip(this.buf[0]!);
    const rest = this.have - 1;
    const remaining = this.pendingEnd - this.pendingStart;
    const next = this.pendingSpare;
    next.set(this.buf.subarray(1, this.have), 0);
    next.set(this.pending.subarray(this.pendingStart, this.pendingEnd), rest);
    this.pendingSpare = this.pending;
    this.pending = next;
    this.pendingStart = 0;
    this.pendingEnd = rest + remaining;
    this.have = 0;
  }

  private skip(b: number): void {
    this.stats.skippedBytes++;
    this.skippedRun++;
    if (b === 0x24 /* $ */) {
      if (++this.dollars === 3) {
        this.dollars = 0;
        this.onText?.(String.fromCharCode(...this.text));
        this.text = [];
      }
      return;
    }
    // '$' runs shorter than three belong to the text.
    for (; this.dollars > 0; this.dollars--) this.keepText(0x24);
    if ((b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x0d || b === 0x09) this.keepText(b);
  }

  private keepText(b: number): void {
    // Bounded: when full, forget the older half (amortised O(1) per byte).
    if (this.text.length >= this.maxTextBytes) this.text.splice(0, this.text.length >> 1);
    this.text.push(b);
  }

  /** A framed packet in buf[0..33): checks its counter against the sequence (see the class comment). */
  private accept(): void {
    const buf = this.buf;
    this.stats.packets++;
    let skipped = this.skippedRun;
    this.skippedRun = 0;
    const counter = buf[1]!;
    if (this.holding) {
      this.holding = false;
      const prev = this.lastCounter;
      const c = this.held[1]!;
      /** Slots from counter a to counter b, 1–256 (256: the same counter again). */
      const span = (a: number, b: number): number => ((b - a - 1) & 0xff) + 1;
      const viaHeld = span(prev, c);
      const direct = span(prev, counter);
      if (span(c, counter) !== 1 && direct <= viaHeld) {
        // The held counter is corrupt: this packet continues the sequence from before it.
        this.stats.corruptPackets++;
        if (direct === 2) {
          this.decode(this.held, (prev + 1) & 0xff, this.heldSkipped);
        } else {
          // No slot for it, or more than one: drop it rather than guess where it belongs.
          if (direct > 2) this.corruptSlots++;
          skipped += this.heldSkipped;
        }
      } else {
        this.decode(this.held, c, this.heldSkipped);
      }
    }
    if (this.lastCounter < 0 || counter === ((this.lastCounter + 1) & 0xff)) {
      this.decode(buf, counter, skipped);
    } else {
      this.held.set(buf.subarray(0, CYTON_PACKET_BYTES));
      this.heldSkipped = skipped;
      this.holding = true;
    }
  }

  /** Decodes the packet in src[0..33) as the one with sample counter `counter`. */
  private decode(src: Uint8Array, counter: number, skipped: number): void {
    const s = this.stats;
    // Slots between the last decoded packet and this one: taken by corrupt packets dropped
    // (counted already), by packets whose bytes came but could not be framed (~33 skipped bytes
    // each), or lost on the link.
    let lostPackets = 0;
    if (this.lastCounter >= 0) lostPackets = (counter - this.lastCounter - 1) & 0xff;
    const droppedCorrupt = Math.min(lostPackets, this.corruptSlots);
    const unframed = Math.min(lostPackets - droppedCorrupt, Math.round(skipped / CYTON_PACKET_BYTES));
    s.corruptPackets += unframed;
    s.droppedPackets += lostPackets - droppedCorrupt - unframed;
    this.corruptSlots = 0;
    this.lastCounter = counter;
    const type = src[CYTON_PACKET_BYTES - 1]! & 0x0f;

    const sample = this.sample;
    // Aux bytes → accelerometer / board time, per packet type.
    let accelMask = 0;
    let boardTimeMs = -1;
    const ax = this.packetAccel;
    ax.fill(0);
    if (type === CytonPacketType.Accel) {
      for (let k = 0; k < 3; k++) {
        ax[k] = int16(src, 26 + 2 * k);
        if (ax[k] !== 0) accelMask = 0b111;
      }
    } else if (type === CytonPacketType.AccelTimeSet || type === CytonPacketType.AccelTime) {
      const axis = counter % 10;
      if (axis >= 7) {
        ax[axis - 7] = int16(src, 26);
        accelMask = 1 << (axis - 7);
      }
      boardTimeMs = ((src[28]! << 24) >>> 0) + ((src[29]! << 16) | (src[30]! << 8) | src[31]!);
    } else if (type === CytonPacketType.RawAuxTimeSet || type === CytonPacketType.RawAuxTime) {
      boardTimeMs = ((src[28]! << 24) >>> 0) + ((src[29]! << 16) | (src[30]! << 8) | src[31]!);
    }

    if (!this.daisy) {
      for (let c = 0; c < CYTON_CHANNELS; c++) sample.counts[c] = int24(src, 2 + 3 * c);
      s.droppedSamples += lostPackets;
      this.emit(src, counter, type, ax, accelMask, boardTimeMs, lostPackets);
      return;
    }

    if (counter % 2 === 1) {
      // Channels 1–8: hold until the even partner arrives (a held half left unpaired is lost).
      for (let c = 0; c < CYTON_CHANNELS; c++) this.lowerCounts[c] = int24(src, 2 + 3 * c);
      this.lowerAccel.set(ax);
      this.lowerAccelMask = accelMask;
      this.lowerCounter = counter;
      this.lowerValid = true;
      return;
    }
    if (!this.lowerValid || ((this.lowerCounter + 1) & 0xff) !== counter) {
      // Channels 9–16 without their channels 1–8: the pair is lost, and counted when the next
      // complete pair shows the gap in pair numbers.
      this.lowerValid = false;
      return;
    }
    this.lowerValid = false;
    const pair = counter >> 1;
    const missed = this.pairsMissedBefore(pair);
    this.lastPair = pair;
    s.droppedSamples += missed;
    for (let c = 0; c < CYTON_CHANNELS; c++) {
      sample.counts[c] = this.lowerCounts[c]!;
      sample.counts[CYTON_CHANNELS + c] = int24(src, 2 + 3 * c);
    }
    // Accelerometer data lands in whichever packet of the pair was current.
    for (let k = 0; k < 3; k++) {
      if (this.lowerAccelMask & (1 << k)) {
        if (!(accelMask & (1 << k))) ax[k] = this.lowerAccel[k]!;
      }
    }
    this.emit(src, counter, type, ax, accelMask | this.lowerAccelMask, boardTimeMs, missed);
  }

  /** Pairs not emitted between the last emitted pair and `pair` (= even counter / 2, mod 128). */
  private pairsMissedBefore(pair: number): number {
    return this.lastPair < 0 ? 0 : (pair - this.lastPair - 1) & 0x7f;
  }

  private emit(src: Uint8Array, counter: number, type: number, ax: Int16Array, accelMask: number, boardTimeMs: number, missed: number): void {
    const sample = this.sample;
    sample.sampleNumber = counter;
    sample.packetType = type;
    sample.accel.set(ax);
    sample.accelMask = accelMask;
    sample.boardTimeMs = boardTimeMs;
    sample.aux.set(src.subarray(26, 32));
    sample.missedBefore = missed;
    this.onSample(sample);
  }
}
