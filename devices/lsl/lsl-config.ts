/**
 * Discovery and transport settings, read like liblsl's `api_config`: the file named by
 * `LSLAPICFG`, else `./lsl_api.cfg`, `~/lsl_api/lsl_api.cfg`, `/etc/lsl_api/lsl_api.cfg`, else
 * liblsl's defaults. Only the keys neurostream uses are read; unknown keys are ignored as
 * liblsl ignores them. A bad value is one clear {@link InvalidOptionError} naming file and key.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { InvalidOptionError } from '../../core/errors.js';

/** How far discovery queries reach (liblsl's `multicast.ResolveScope`). */
export type LslResolveScope = 'machine' | 'link' | 'site' | 'organization' | 'global';
const SCOPES: readonly LslResolveScope[] = ['machine', 'link', 'site', 'organization', 'global'];

/** The settings neurostream's LSL code runs with. */
export interface LslConfig {
  /** Where the settings came from: a file path, or 'defaults'. */
  source: string;
  multicastPort: number;
  basePort: number;
  portRange: number;
  allowRandomPorts: boolean;
  allowIPv4: boolean;
  allowIPv6: boolean;
  resolveScope: LslResolveScope;
  /** Address the outlet's responders listen on ('' = any). */
  listenAddress: string;
  /** IPv4 addresses discovery queries go to at `multicastPort` (multicast, broadcast or unicast). */
  multicastAddresses: string[];
  multicastTtl: number;
  /** Local interface addresses to send multicast queries from / join groups on ([] = the system's choice). */
  interfaces: string[];
  /** Hosts queried directly on every port of `basePort .. basePort + portRange - 1`. */
  knownPeers: string[];
  sessionId: string;
  /** Highest data protocol offered (liblsl 1.17: 110). */
  useProtocolVersion: number;
  timeProbeCount: number;
  timeProbeIntervalS: number;
  timeProbeMaxRttS: number;
  timeUpdateIntervalS: number;
  timeUpdateMinProbes: number;
  multicastMinRttS: number;
  unicastMinRttS: number;
}

/** The data protocol version this implementation speaks at most. */
export const LSL_PROTOCOL_VERSION = 110;

type Ini = Map<string, string>;

/** Parses liblsl's INI dialect: `[section]`, `key = value`, `;` or `#` comments. Keys are `section.key`. */
export function parseIni(text: string): Ini {
  const out: Ini = new Map();
  let section = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) continue;
    if (line.startsWith('[') && line.endsWith(']')) {
      section = line.slice(1, -1).trim();
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    out.set(section ? `${section}.${key}` : key, value);
  }
  return out;
}

function parseSet(value: string): string[] {
  if (value.length > 2 && value.startsWith('{') && value.endsWith('}')) {
    return value.slice(1, -1).split(',').map((s) => s.trim()).filter((s) => s !== '');
  }
  return [];
}

/**
 * lsl_api.cfg settings that keep LSL on this machine: discovery to 127.0.0.1 alone, no multicast
 * beyond the host, no IPv6 (liblsl reads the same text; tests and benchmarks use it on both sides).
 */
export const LSL_LOOPBACK_INI = `
[ports]
IPv6 = disable
[multicast]
ResolveScope = machine
MachineAddresses = {127.0.0.1}
Interfaces = {127.0.0.1}
[lab]
KnownPeers = {127.0.0.1}
`;

/** Builds a config from INI text (`source` names it in errors); missing keys take liblsl's defaults. */
export function lslConfigFromIni(text: string, source: string): LslConfig {
  const ini = parseIni(text);
  const where = (key: string): string => `${source} ${key}`;
  const str = (key: string, def: string): string => ini.get(key) ?? def;
  const num = (key: string, def: number, integer = true): number => {
    const v = ini.get(key);
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) throw new InvalidOptionError(where(key), integer ? 'an integer' : 'a number', v);
    return n;
  };
  const bool = (key: string, def: boolean): boolean => {
    const v = ini.get(key);
    if (v === undefined) return def;
    if (/^(1|true|yes|on)$/i.test(v)) return true;
    if (/^(0|false|no|off)$/i.test(v)) return false;
    throw new InvalidOptionError(where(key), 'true or false', v);
  };
  const ipv6 = str('ports.IPv6', 'allow');
  let allowIPv4 = true;
  let allowIPv6 = true;
  if (ipv6 === 'disabled' || ipv6 === 'disable') allowIPv6 = false;
  else if (ipv6 === 'forced' || ipv6 === 'force') {
    // neurostream speaks LSL over IPv4 only (it cannot be tested here over IPv6): an IPv6-only
    // setting would silently find nothing, so it is refused.
    throw new InvalidOptionError(where('ports.IPv6'), 'allow or disable (neurostream speaks LSL over IPv4 only; IPv6-only is not supported)', ipv6);
  }
  else if (ipv6 !== 'allowed' && ipv6 !== 'allow') throw new InvalidOptionError(where('ports.IPv6'), 'allow, disable or force', ipv6);
  const scope = str('multicast.ResolveScope', 'site') as LslResolveScope;
  const level = SCOPES.indexOf(scope);
  if (level < 0) throw new InvalidOptionError(where('multicast.ResolveScope'), SCOPES.join(', '), scope);
  const groups = [
    parseSet(str('multicast.MachineAddresses', '{127.0.0.1}')),
    parseSet(str('multicast.LinkAddresses', '{255.255.255.255, 224.0.0.1, 224.0.0.183}')),
    parseSet(str('multicast.SiteAddresses', '{239.255.172.215}')),
    parseSet(str('multicast.OrganizationAddresses', '{}')),
    parseSet(str('multicast.GlobalAddresses', '{}')),
  ];
  let addresses = groups.slice(0, level + 1).flat();
  let ttl = [0, 1, 24, 32, 255][level]!;
  const ttlOverride = num('multicast.TTLOverride', -1);
  if (ttlOverride >= 0) ttl = ttlOverride;
  const override = parseSet(str('multicast.AddressesOverride', '{}'));
  if (override.length > 0) addresses = override;
  for (const a of addresses) if (isIP(a) === 0) throw new InvalidOptionError(where('multicast addresses'), 'IP addresses', a);
  // IPv6 discovery is not implemented here; IPv6 groups are left out as if IPv6 were disabled.
  const multicastAddresses = addresses.filter((a) => isIP(a) === 4 && allowIPv4);
  const interfaces = parseSet(str('multicast.Interfaces', '{}')).filter((a) => isIP(a) === 4);
  const port = (key: string, def: number): number => {
    const p = num(key, def);
    if (p < 1 || p > 65535) throw new InvalidOptionError(where(key), 'a port from 1 to 65535', p);
    return p;
  };
  return {
    source,
    multicastPort: port('ports.MulticastPort', 16571),
    basePort: port('ports.BasePort', 16572),
    portRange: num('ports.PortRange', 32),
    allowRandomPorts: bool('ports.AllowRandomPorts', true),
    allowIPv4,
    allowIPv6,
    resolveScope: scope,
    listenAddress: str('multicast.ListenAddress', ''),
    multicastAddresses,
    multicastTtl: ttl,
    interfaces,
    knownPeers: parseSet(str('lab.KnownPeers', '{}')),
    sessionId: str('lab.SessionID', 'default'),
    useProtocolVersion: Math.min(LSL_PROTOCOL_VERSION, num('tuning.UseProtocolVersion', LSL_PROTOCOL_VERSION)),
    timeProbeCount: num('tuning.TimeProbeCount', 8),
    timeProbeIntervalS: num('tuning.TimeProbeInterval', 0.064, false),
    timeProbeMaxRttS: num('tuning.TimeProbeMaxRTT', 0.128, false),
    timeUpdateIntervalS: num('tuning.TimeUpdateInterval', 2.0, false),
    timeUpdateMinProbes: num('tuning.TimeUpdateMinProbes', 6),
    multicastMinRttS: num('tuning.MulticastMinRTT', 0.5, false),
    unicastMinRttS: num('tuning.UnicastMinRTT', 0.75, false),
  };
}

/** liblsl's defaults (no config file). */
export function defaultLslConfig(): LslConfig {
  return lslConfigFromIni('', 'defaults');
}

/** Reads a config file (one clear error when it cannot be read or parsed). */
export function readLslConfigFile(path: string): LslConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InvalidOptionError('LSL config', `a readable lsl_api.cfg file at ${path}`, (error as Error).message);
  }
  return lslConfigFromIni(text, path);
}

/**
 * The config liblsl would load: `$LSLAPICFG` (an unreadable one is an error, unlike liblsl, which
 * only logs it), else the first readable of `lsl_api.cfg` (in `cwd`), `~/lsl_api/lsl_api.cfg`,
 * `/etc/lsl_api/lsl_api.cfg`, else the defaults.
 */
export function loadLslConfig(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): LslConfig {
  const fromEnv = env['LSLAPICFG'];
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new InvalidOptionError('LSLAPICFG', 'the path of a readable lsl_api.cfg', fromEnv);
    return readLslConfigFile(fromEnv);
  }
  for (const path of [join(cwd, 'lsl_api.cfg'), join(env['HOME'] ?? homedir(), 'lsl_api', 'lsl_api.cfg'), '/etc/lsl_api/lsl_api.cfg']) {
    if (existsSync(path)) return readLslConfigFile(path);
  }
  return defaultLslConfig();
}

/** Where one discovery wave sends its query: the multicast/broadcast/machine addresses, then every known peer's port range. */
export function discoveryTargets(config: LslConfig): { address: string; port: number }[] {
  const targets = config.multicastAddresses.map((address) => ({ address, port: config.multicastPort }));
  for (const peer of config.knownPeers) {
    for (let p = config.basePort; p < config.basePort + config.portRange; p++) targets.push({ address: peer, port: p });
  }
  return targets;
}
