/**
 * `neurostream lsl list` finds liblsl 1.17.7's outlet (lsl-peer) on loopback, with the loopback
 * settings written into this test's own lsl_api.cfg.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { LOOPBACK_INI, runPeer } from '../helpers/lsl-peer.js';

const dir = mkdtempSync(join(tmpdir(), 'ns-lsl-list-'));
const cfg = join(dir, 'lsl_api.cfg');
writeFileSync(cfg, LOOPBACK_INI);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('neurostream lsl list', () => {
  it('lists the peer’s outlet with its header and channel labels (--json), and in text', async () => {
    const name = `ns-list-${process.pid}`;
    const peer = runPeer(['send', name, '--type', 'EEG', '--channels', '3', '--rate', '500', '--format', 'int16', '--source-id', 'peer-src', '--wait-s', '8', '--seconds', '0.2']);
    try {
      await new Promise((r) => setTimeout(r, 500));
      const json = await runCli(['lsl', 'list', '--json', '--timeout-s', '1.5'], { env: { LSLAPICFG: cfg } });
      expect(json.stderr).toBe('');
      expect(json.code).toBe(0);
      const streams = JSON.parse(json.stdout) as Record<string, unknown>[];
      const mine = streams.filter((s) => s.name === name);
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({ type: 'EEG', channelCount: 3, nominalSrateHz: 500, channelFormat: 'int16', sourceId: 'peer-src', address: '127.0.0.1', version: 1.1, channels: ['ch1', 'ch2', 'ch3'] });
      const text = await runCli(['lsl', 'list', '--query', `name='${name}'`, '--timeout-s', '1'], { env: { LSLAPICFG: cfg } });
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(new RegExp(`^${name}  type EEG, 3 ch int16, 500 Hz, source peer-src, .* 127\\.0\\.0\\.1:\\d+\\n$`));
    } finally {
      peer.child.kill('SIGKILL');
      await peer.result.catch(() => undefined);
    }
  });

  it('a missing LSLAPICFG file, a bad setting or a bad query is one error line and exit 2', async () => {
    const missing = await runCli(['lsl', 'list'], { env: { LSLAPICFG: join(dir, 'nope.cfg') } });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`neurostream: LSLAPICFG: expected the path of a readable lsl_api.cfg, got "${join(dir, 'nope.cfg')}" [NS_INVALID_OPTION]\n`);
    const badCfg = join(dir, 'bad.cfg');
    writeFileSync(badCfg, '[multicast]\nResolveScope = everywhere\n');
    const bad = await runCli(['lsl', 'list'], { env: { LSLAPICFG: badCfg } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^neurostream: .*bad\.cfg multicast\.ResolveScope: expected machine, link, site, organization, global, got "everywhere" \[NS_INVALID_OPTION\]\n$/);
    const query = await runCli(['lsl', 'list', '--query', "type=='EEG'"], { env: { LSLAPICFG: cfg } });
    expect(query.code).toBe(2);
    expect(query.stderr.split('\n')).toHaveLength(2);
    expect(query.stderr).toMatch(/^neurostream: LSL query: expected an element name/);
  });
});
