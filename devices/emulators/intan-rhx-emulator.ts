/**
 * IntanRhxEmulator — the TCP interface of Intan's RHX acquisition software, on loopback: a
 * command server (RHX's port 5000: `get`/`set`/`execute`, replies `Return: <Param> <value>`) and
 * a waveform server (port 5001) that, while `runmode` is `run`, streams blocks of 128 frames of
 * the enabled channels' wide-band data, little-endian, like RHX 3.4. The signals come from the
 * intracortical simulator on the headstage channels A-000…A-NNN.
 *
 * Supported: `get runmode|sampleratehertz|type`, `set runmode run|stop`,
 * `set sampleratehertz N` (stopped only), `execute clearalldataoutputs`,
 * `set <channel>.tcpdataoutputenabled true|false`. Anything else gets RHX-style error text.
 *
 * `loopS` makes the emulator cheap, for benchmarks where it must not compete with the pipeline
 * for the CPU (1024 ch × 30 kHz of simulation is half a core here): the first `loopS` seconds of
 * each run are simulated and encoded once, for the channels enabled when the run starts, and
 * played in a loop — the frame timestamps keep counting, the signals repeat.
 */
import { type AddressInfo, type Server, type Socket, createServer } from 'node:net';
import { checkInteger, checkNumber, hostNowMs } from '../../core/index.js';
import {
  intanChannelIndex,
  INTAN_AMPLIFIER_OFFSET,
  INTAN_AMPLIFIER_UV_PER_COUNT,
  INTAN_FRAMES_PER_BLOCK,
  INTAN_WAVEFORM_MAGIC,
  intanBlockBytes,
} from '../protocols/intan/intan-constants.js';
import { IntracorticalSimulator } from '../simulators/intracortical-simulator.js';

export interface IntanRhxEmulatorOptions {
  host?: string;
  /** 0 picks a free port. Default 5000. */
  commandPort?: number;
  /** 0 picks a free port. Default 5001. */
  waveformPort?: number;
  /** Amplifier channels A-000 … A-127, B-000 … (128 per port, up to 1024). Default 64. */
  channels?: number;
  sampleRateHz?: number;
  seed?: number;
  /** Simulate this many seconds once per run and play them in a loop (default: simulate live). */
  loopS?: number;
  /**
   * Fault injection: the blocks (counted from 0 in each run) whose 128 timestamps are sent XORed
   * with `xor` (a firmware fault that keeps them consecutive within the block). Default none.
   */
  timestampFaults?: readonly { block: number; xor: number }[];
}


/** The command and waveform TCP servers of Intan RHX, emulated on loopback. */
export class IntanRhxEmulator {
  readonly channels: number;
  sampleRateHz: number;
  running = false;
  blocksSent = 0;
  private readonly seed: number;
  private readonly host: string;
  private readonly ports: { command: number; waveform: number };
  private readonly enabled = new Set<number>();
  private commandServer: Server | undefined;
  private waveformServer: Server | undefined;
  private readonly waveformClients = new Set<Socket>();
  private readonly commandClients = new Set<Socket>();
  private simulator: IntracorticalSimulator | undefined;
  private runStartMs = 0;
  private readonly loopS: number | undefined;
  /** The encoded blocks of the loop, and how many there are. */
  private loop: { bytes: Uint8Array; blocks: number; blockBytes: number } | undefined;
  private ticker: ReturnType<typeof setInterval> | undefined;
  private readonly timestampFaults: ReadonlyMap<number, number>;

  constructor(options: IntanRhxEmulatorOptions = {}) {
    this.host = options.host ?? '127.0.0.1';
    this.ports = {
      command: checkInteger('option', 'commandPort', options.commandPort ?? 5000, { min: 0, max: 65535 }),
      waveform: checkInteger('option', 'waveformPort', options.waveformPort ?? 5001, { min: 0, max: 65535 }),
    };
    this.channels = checkInteger('option', 'channels', options.channels ?? 64, { min: 1, max: 1024 });
    this.sampleRateHz = checkNumber('option', 'sampleRateHz', options.sampleRateHz ?? 30000, { min: 1000, max: 30000 });
    this.seed = options.seed ?? 1;
    this.loopS = options.loopS === undefined ? undefined : checkNumber('option', 'loopS', options.loopS, { min: 0.1, max: 60 });
    this.timestampFaults = new Map((options.timestampFaults ?? []).map((f) => [f.block, f.xor]));
  }

  /** Starts both servers; resolves with the ports they listen on. */
  async start(): Promise<{ commandPort: number; waveformPort: number }> {
    this.commandServer = createServer((socket) => this.serveCommands(socket));
    this.waveformServer = createServer((socket) => {
      socket.setNoDelay(true);
      this.waveformClients.add(socket);
      socket.on('close', () => this.waveformClients.delete(socket));
      socket.on('error', () => this.waveformClients.delete(socket));
    });
    const listen = (server: Server, port: number) =>
      new Promise<number>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, this.host, () => resolve((server.address() as AddressInfo).port));
      });
    const commandPort = await listen(this.commandServer, this.ports.command);
    const waveformPort = await listen(this.waveformServer, this.ports.waveform);
    this.ticker = setInterval(() => this.advance(), 2);
    return { commandPort, waveformPort };
  }

  async stop(): Promise<void> {
    clearInterval(this.ticker);
    for (const s of [...this.waveformClients, ...this.commandClients]) s.destroy();
    await Promise.all(
      [this.commandServer, this.waveformServer].map(
        (server) => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
      ),
    );
  }

  private serveCommands(socket: Socket): void {
    this.commandClients.add(socket);
    socket.on('close', () => this.commandClients.delete(socket));
    let pending = '';
    socket.setEncoding('latin1');
    socket.on('error', () => {});
    socket.on('data', (text: string) => {
      pending += text;
      const parts = pending.split(/[;\n]/);
      pending = parts.pop() ?? '';
      for (const part of parts) this.command(part.trim(), socket);
      // A command with no terminator is complete when it arrives whole (as RHX treats each read).
      if (pending.trim() && /^(get|set|execute)\s+\S+(\s+\S+)?$/i.test(pending.trim())) {
        this.command(pending.trim(), socket);
        pending = '';
      }
    });
  }

  private command(text: string, socket: Socket): void {
    if (!text) return;
    const [verb = '', param = '', value = ''] = text.split(/\s+/);
    const reply = (line: string) => socket.write(line);
    const p = param.toLowerCase();
    switch (verb.toLowerCase()) {
      case 'get':
        if (p === 'runmode') return void reply(`Return: RunMode ${this.running ? 'Run' : 'Stop'}`);
        if (p === 'sampleratehertz') return void reply(`Return: SampleRateHertz ${this.sampleRateHz}`);
        if (p === 'type') return void reply('Return: Type ControllerRecordUSB3');
        return void reply(`Error - Unrecognized parameter ${param}`);
      case 'set': {
        if (p === 'runmode') {
          if (value.toLowerCase() === 'run') this.startRun();
          else if (value.toLowerCase() === 'stop') this.running = false;
          else reply(`Error - Unrecognized value ${value} for RunMode`);
          return;
        }
        if (p === 'sampleratehertz') {
          const hz = Number(value);
          if (this.running) return void reply('Error - SampleRateHertz cannot be set while running');
          if (![1000, 1250, 1500, 2000, 2500, 3000, 3333, 4000, 5000, 6250, 8000, 10000, 12500, 15000, 20000, 25000, 30000].includes(hz)) {
            return void reply(`Error - Invalid value ${value} for SampleRateHertz`);
          }
          this.sampleRateHz = hz;
          return;
        }
        const match = /^([a-h]-\d{3})\.tcpdataoutputenabled$/.exec(p);
        if (match) {
          const c = intanChannelIndex(match[1]!);
          if (c < 0 || c >= this.channels) return void reply(`Error - Unrecognized channel ${param.split('.')[0]}`);
          if (value.toLowerCase() === 'true') this.enabled.add(c);
          else if (value.toLowerCase() === 'false') this.enabled.delete(c);
          else reply(`Error - Invalid value ${value}`);
          return;
        }
        return void reply(`Error - Unrecognized parameter ${param}`);
      }
      case 'execute':
        if (p === 'clearalldataoutputs') {
          this.enabled.clear();
          return;
        }
        return void reply(`Error - Unrecognized action ${param}`);
      default:
        reply(`Error - Unrecognized command ${verb}`);
    }
  }

  private startRun(): void {
    this.running = true;
    this.blocksSent = 0;
    this.simulator = new IntracorticalSimulator({ channels: this.channels, sampleRateHz: this.sampleRateHz, seed: this.seed });
    this.loop = undefined;
    if (this.loopS !== undefined && this.enabled.size > 0) {
      const channels = this.enabledChannels();
      const blocks = Math.max(1, Math.round((this.loopS * this.sampleRateHz) / INTAN_FRAMES_PER_BLOCK));
      const blockBytes = intanBlockBytes(channels.length);
      const bytes = new Uint8Array(blocks * blockBytes);
      for (let b = 0; b < blocks; b++) this.encodeBlock(bytes.subarray(b * blockBytes, (b + 1) * blockBytes), channels);
      this.loop = { bytes, blocks, blockBytes };
    }
    this.runStartMs = hostNowMs(); // after the loop is made: its blocks are due from now
  }

  private enabledChannels(): number[] {
    return [...this.enabled].sort((a, b) => a - b);
  }

  /**
   * The simulator's next block, encoded into `out` (intanBlockBytes(W) bytes): the magic, then 128
   * frames of a uint32 timestamp and the W channels' uint16 counts (offset 32768), little-endian.
   */
  private encodeBlock(out: Uint8Array, channels: readonly number[]): void {
    const block = this.simulator!.read(INTAN_FRAMES_PER_BLOCK, 0);
    const W = channels.length;
    const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
    dv.setUint32(0, INTAN_WAVEFORM_MAGIC, true);
    stampBlock(dv, W, block.first);
    const frameBytes = 4 + 2 * W;
    // Channel by channel (the simulator's layout), each a stride through the frames.
    for (let k = 0; k < W; k++) {
      const row = channels[k]! * INTAN_FRAMES_PER_BLOCK;
      let p = 8 + 2 * k;
      for (let f = 0; f < INTAN_FRAMES_PER_BLOCK; f++, p += frameBytes) {
        const u = Math.round(block.data[row + f]! / INTAN_AMPLIFIER_UV_PER_COUNT) + INTAN_AMPLIFIER_OFFSET;
        dv.setUint16(p, u < 0 ? 0 : u > 65535 ? 65535 : u, true);
      }
    }
  }

  /** Applies a configured timestamp fault to the block about to be sent (number `blocksSent`). */
  private injectTimestampFault(bytes: Uint8Array, W: number): void {
    const xor = this.timestampFaults.get(this.blocksSent);
    if (xor === undefined) return;
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const frameBytes = 4 + 2 * W;
    for (let f = 0; f < INTAN_FRAMES_PER_BLOCK; f++) dv.setUint32(4 + f * frameBytes, (dv.getUint32(4 + f * frameBytes, true) ^ xor) >>> 0, true);
  }

  /** Sends every block due since the run started (time runs whether or not anyone listens). */
  private advance(): void {
    if (!this.running || !this.simulator) return;
    const due = Math.floor(((hostNowMs() - this.runStartMs) * this.sampleRateHz) / 1000 / INTAN_FRAMES_PER_BLOCK);
    const loop = this.loop;
    if (loop) {
      const W = (loop.blockBytes - intanBlockBytes(0)) / (2 * INTAN_FRAMES_PER_BLOCK);
      for (; this.blocksSent < due; this.blocksSent++) {
        if (this.waveformClients.size === 0) continue;
        // A copy of the loop's block (the socket may still hold the last one), timestamps renumbered.
        const at = (this.blocksSent % loop.blocks) * loop.blockBytes;
        const bytes = loop.bytes.slice(at, at + loop.blockBytes);
        stampBlock(new DataView(bytes.buffer), W, this.blocksSent * INTAN_FRAMES_PER_BLOCK);
        this.injectTimestampFault(bytes, W);
        for (const s of this.waveformClients) s.write(bytes);
      }
      return;
    }
    const channels = this.enabledChannels();
    for (; this.blocksSent < due; this.blocksSent++) {
      if (channels.length === 0 || this.waveformClients.size === 0) {
        this.simulator.read(INTAN_FRAMES_PER_BLOCK, 0); // time runs on
        continue;
      }
      const bytes = new Uint8Array(intanBlockBytes(channels.length));
      this.encodeBlock(bytes, channels);
      this.injectTimestampFault(bytes, channels.length);
      for (const s of this.waveformClients) s.write(bytes);
    }
  }
}

/** Writes the 128 frame timestamps of a block of W channels, from `first`. */
function stampBlock(dv: DataView, W: number, first: number): void {
  const frameBytes = 4 + 2 * W;
  for (let f = 0; f < INTAN_FRAMES_PER_BLOCK; f++) dv.setUint32(4 + f * frameBytes, (first + f) >>> 0, true);
}
