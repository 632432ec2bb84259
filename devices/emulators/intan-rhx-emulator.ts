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
}


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
  private ticker: ReturnType<typeof setInterval> | undefined;

  constructor(options: IntanRhxEmulatorOptions = {}) {
    this.host = options.host ?? '127.0.0.1';
    this.ports = {
      command: checkInteger('option', 'commandPort', options.commandPort ?? 5000, { min: 0, max: 65535 }),
      waveform: checkInteger('option', 'waveformPort', options.waveformPort ?? 5001, { min: 0, max: 65535 }),
    };
    this.channels = checkInteger('option', 'channels', options.channels ?? 64, { min: 1, max: 1024 });
    this.sampleRateHz = checkNumber('option', 'sampleRateHz', options.sampleRateHz ?? 30000, { min: 1000, max: 30000 });
    this.seed = options.seed ?? 1;
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
    this.runStartMs = hostNowMs();
    this.simulator = new IntracorticalSimulator({ channels: this.channels, sampleRateHz: this.sampleRateHz, seed: this.seed });
  }

  /** Sends every block due since the run started (time runs whether or not anyone listens). */
  private advance(): void {
    if (!this.running || !this.simulator) return;
    const due = Math.floor(((hostNowMs() - this.runStartMs) * this.sampleRateHz) / 1000 / INTAN_FRAMES_PER_BLOCK);
    const channels = [...this.enabled].sort((a, b) => a - b);
    const W = channels.length;
    for (; this.blocksSent < due; this.blocksSent++) {
      const block = this.simulator.read(INTAN_FRAMES_PER_BLOCK, 0);
      if (W === 0 || this.waveformClients.size === 0) continue;
      const bytes = new Uint8Array(intanBlockBytes(W));
      const dv = new DataView(bytes.buffer);
      dv.setUint32(0, INTAN_WAVEFORM_MAGIC, true);
      let p = 4;
      for (let f = 0; f < INTAN_FRAMES_PER_BLOCK; f++) {
        dv.setUint32(p, (block.first + f) >>> 0, true);
        p += 4;
        for (const c of channels) {
          const u = Math.round(block.data[c * INTAN_FRAMES_PER_BLOCK + f]! / INTAN_AMPLIFIER_UV_PER_COUNT) + INTAN_AMPLIFIER_OFFSET;
          dv.setUint16(p, u < 0 ? 0 : u > 65535 ? 65535 : u, true);
          p += 2;
        }
      }
      for (const s of this.waveformClients) s.write(bytes);
    }
  }
}
