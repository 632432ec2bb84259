/**
 * The LSL protocol pieces on their own: sample codec (any chunking), lsl_api.cfg settings,
 * stream-info XML and queries, feed negotiation, time-probe replies.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideFeed, feedResponseText, parseFeedRequest, parseFeedResponse } from '../../../devices/lsl/feed-handshake.js';
import { discoveryTargets, defaultLslConfig, lslConfigFromIni } from '../../../devices/lsl/lsl-config.js';
import { compileLslQuery } from '../../../devices/lsl/lsl-query.js';
import { DEDUCED_TIMESTAMP, LslSampleDecoder, encodeSamples, testPatternValues } from '../../../devices/lsl/sample-codec.js';
import { channelDescriptions, channelsDesc, fullInfoXml, parseStreamInfo, shortInfoXml, streamInfoElement, type LslStreamInfo } from '../../../devices/lsl/stream-info.js';
import { timeProbeReply } from '../../../devices/lsl/time-probe.js';
import { LOOPBACK_INI } from '../../helpers/lsl-peer.js';
import { thrown as thrownAny } from '../../helpers/thrown.js';

const thrown = (fn: () => unknown): Error => thrownAny(fn) as Error;

const INFO: LslStreamInfo = {
  name: 'Cap & <EEG>',
  type: 'EEG',
  channelCount: 3,
  nominalSrateHz: 250,
  channelFormat: 'float32',
  sourceId: 'cap-1',
  version: 110,
  createdAt: 1234.5,
  uid: 'f0e1d2c3',
  sessionId: 'default',
  hostname: 'lab-pc',
  v4address: '',
  v4dataPort: 16573,
  v4servicePort: 16574,
  v6address: '',
  v6dataPort: 0,
  v6servicePort: 0,
  desc: channelsDesc([
    { label: 'Fz', unit: 'microvolts', type: 'EEG' },
    { label: 'Cz', unit: 'microvolts', type: 'EEG' },
    { label: 'Pz', unit: 'microvolts', type: 'EEG' },
  ]),
};

describe('LSL sample codec', () => {
  for (const format of ['float32', 'double64', 'int32', 'int16', 'int8', 'int64', 'string'] as const) {
    it(`${format}: samples cut into arbitrary chunks decode to the same samples, once each, deduced timestamps filled in`, () => {
      const n = 3;
      const count = 20;
      const ts = Array.from({ length: count }, (_, i) => (i % 4 === 0 ? 100 + i / 250 : DEDUCED_TIMESTAMP));
      const values =
        format === 'string'
          ? Array.from({ length: count * n }, (_, k) => (k % 7 === 0 ? 'x'.repeat(300) : `v${k}é`))
          : Array.from({ length: count * n }, (_, k) => (format === 'int8' ? (k % 200) - 100 : format === 'float32' ? Math.fround(k * 1.5 - 7) : k * 3 - 29));
      for (const littleEndian of [true, false]) {
        const bytes = encodeSamples({ format, channelCount: n, littleEndian }, ts, values as number[] | string[]);
        fc.assert(
          fc.property(fc.array(fc.integer({ min: 1, max: bytes.length }), { maxLength: 12 }), (cuts) => {
            const points = [...new Set(cuts)].sort((a, b) => a - b);
            const dec = new LslSampleDecoder({ format, channelCount: n, nominalSrateHz: 250, littleEndian });
            const gotTs: number[] = [];
            const got: (number | string)[] = [];
            let prev = 0;
            for (const p of [...points, bytes.length]) {
              const b = dec.push(bytes.subarray(prev, p));
              gotTs.push(...b.timestamps);
              got.push(...(format === 'string' ? b.strings : b.values));
              prev = p;
            }
            expect(got).toEqual(values);
            expect(gotTs.length).toBe(count);
            for (let i = 0; i < count; i++) expect(gotTs[i]).toBeCloseTo(100 + i / 250, 9);
            expect(dec.pendingBytes).toBe(0);
          }),
          { numRuns: 30 },
        );
      }
    });
  }

  it('fed one byte at a time, emits each sample exactly when its last byte arrives', () => {
    const bytes = encodeSamples({ format: 'int16', channelCount: 2, littleEndian: true }, [5, DEDUCED_TIMESTAMP], [1, -2, 3, -4]);
    const dec = new LslSampleDecoder({ format: 'int16', channelCount: 2, nominalSrateHz: 10, littleEndian: true });
    const counts = Array.from(bytes, (b) => dec.push(Uint8Array.of(b)).count);
    expect(counts.indexOf(1)).toBe(1 + 8 + 4 - 1);
    expect(counts.lastIndexOf(1)).toBe(bytes.length - 1);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(2);
  });

  it('a corrupt tag byte is one clear error naming the sample', () => {
    const dec = new LslSampleDecoder({ format: 'float32', channelCount: 1, nominalSrateHz: 0, littleEndian: true });
    expect((thrown(() => dec.push(Uint8Array.of(7, 0, 0, 0, 0)))).message).toMatch(/LSL sample: expected tag byte 1 or 2 .*got 7/);
  });

  it('subnormal floats are zeroed when the outlet asks for it, kept otherwise', () => {
    const sub = 1e-40;
    const bytes = encodeSamples({ format: 'float32', channelCount: 2, littleEndian: true }, [1], [sub, 1]);
    expect(new LslSampleDecoder({ format: 'float32', channelCount: 2, nominalSrateHz: 0, littleEndian: true, suppressSubnormals: true }).push(bytes).values[0]).toBe(0);
    expect(new LslSampleDecoder({ format: 'float32', channelCount: 2, nominalSrateHz: 0, littleEndian: true }).push(bytes).values[0]).toBe(Math.fround(sub));
  });

  it('test patterns are liblsl’s (int16 wraps at 32767, strings alternate sign)', () => {
    expect(testPatternValues('int16', 3, 4)).toEqual([261, -262, 263]);
    expect(testPatternValues('double64', 2, 2)).toEqual([16777219, -16777220]);
    expect(testPatternValues('string', 3, 4)).toEqual(['10', '-11', '12']);
    expect(testPatternValues('int8', 2, 126)).toEqual([0, -1]);
  });
});

describe('lsl_api.cfg settings', () => {
  it('defaults are liblsl’s: site scope, its multicast groups, ports 16571/16572+32', () => {
    const c = defaultLslConfig();
    expect(c).toMatchObject({ resolveScope: 'site', multicastPort: 16571, basePort: 16572, portRange: 32, multicastTtl: 24, sessionId: 'default', knownPeers: [] });
    expect(c.multicastAddresses).toEqual(['127.0.0.1', '255.255.255.255', '224.0.0.1', '224.0.0.183', '239.255.172.215']);
  });

  it('the loopback settings send discovery to 127.0.0.1 only', () => {
    const c = lslConfigFromIni(LOOPBACK_INI, 'loopback');
    expect(c.allowIPv6).toBe(false);
    const targets = discoveryTargets(c);
    expect(new Set(targets.map((t) => t.address))).toEqual(new Set(['127.0.0.1']));
    expect(targets.map((t) => t.port)).toEqual([16571, ...Array.from({ length: 32 }, (_, k) => 16572 + k)]);
  });

  it('a bad value names the file and key', () => {
    expect(thrown(() => lslConfigFromIni('[multicast]\nResolveScope = planet\n', '/etc/lsl_api/lsl_api.cfg')).message).toBe(
      '/etc/lsl_api/lsl_api.cfg multicast.ResolveScope: expected machine, link, site, organization, global, got "planet"',
    );
    expect(thrown(() => lslConfigFromIni('[ports]\nBasePort = abc\n', 'x.cfg')).message).toMatch(/^x\.cfg ports\.BasePort: expected an integer/);
    expect(thrown(() => lslConfigFromIni('[ports]\nIPv6 = force\n', 'lsl_api.cfg')).message).toBe(
      'lsl_api.cfg ports.IPv6: expected allow or disable (neurostream speaks LSL over IPv4 only; IPv6-only is not supported), got "force"',
    );
  });
});

describe('stream info XML and queries', () => {
  it('fullinfo round-trips header and channel description; shortinfo has an empty desc', () => {
    const back = parseStreamInfo(fullInfoXml(INFO));
    expect({ ...back, desc: undefined }).toEqual({ ...INFO, desc: undefined });
    expect(channelDescriptions(back)).toEqual(channelDescriptions(INFO));
    expect(channelDescriptions(parseStreamInfo(shortInfoXml(INFO)))).toEqual([]);
    expect(shortInfoXml(INFO)).toContain('<name>Cap &amp; &lt;EEG&gt;</name>');
  });

  it('queries select as XPath does', () => {
    const info = streamInfoElement(INFO);
    const q = (s: string): boolean => compileLslQuery(s)(info);
    expect(q("type='EEG'")).toBe(true);
    expect(q("session_id='default' and (type='EEG' or type='Markers')")).toBe(true);
    expect(q("type='Markers'")).toBe(false);
    expect(q("starts-with(source_id,'cap')")).toBe(true);
    expect(q('count(desc/channels/channel)=3')).toBe(true);
    expect(q("desc/channels/channel/label='Cz'")).toBe(true);
    expect(q("not(desc/channels/channel/label='T7')")).toBe(true);
    expect(q('nominal_srate>=250 and channel_count<4')).toBe(true);
    expect(q("/info/name!='Cap & <EEG>'")).toBe(false);
    expect(thrown(() => compileLslQuery("type=='EEG'")).message).toBe('LSL query: expected an element name in "type==\'EEG\'", got "="');
  });

  it('a malformed info names what is wrong', () => {
    expect((thrown(() => parseStreamInfo(fullInfoXml({ ...INFO, channelFormat: 'float16' as 'float32' }), 'reply'))).message).toBe(
      'reply <channel_format>: expected float32, double64, string, int32, int16, int8, int64, got "float16"',
    );
    expect(thrown(() => parseStreamInfo('<info><name>x</name>', 'reply')).message).toMatch(/^reply: expected well-formed XML/);
  });
});

describe('feed negotiation and time probes', () => {
  it('the outlet serves 110 with suppression for an inlet without subnormals; 404 for another uid; protocol 100 for another value size (as liblsl); 505 for 2xx', () => {
    const req = (line: string, headers: string[]) => decideFeed(INFO, parseFeedRequest(line, headers));
    const ok = req(`LSL:streamfeed/110 ${INFO.uid}`, ['Value-Size: 4', 'Supports-Subnormals: 0']);
    expect(ok).toMatchObject({ status: 200, dataProtocolVersion: 110, suppressSubnormals: true });
    expect(parseFeedResponse(feedResponseText(INFO, ok).trimEnd(), 'x')).toMatchObject({ status: 200, uid: INFO.uid, littleEndian: true, suppressSubnormals: true, dataProtocolVersion: 110 });
    expect(req('LSL:streamfeed/110 other', []).status).toBe(404);
    expect(req(`LSL:streamfeed/110 ${INFO.uid}`, ['Value-Size: 8'])).toMatchObject({ status: 200, dataProtocolVersion: 100, suppressSubnormals: false });
    expect(req(`LSL:streamfeed/110 ${INFO.uid}`, ['Has-IEEE754-Floats: 0'])).toMatchObject({ status: 200, dataProtocolVersion: 100 });
    expect(decideFeed(INFO, parseFeedRequest(`LSL:streamfeed/110 ${INFO.uid}`, ['Value-Size: 4']), 100)).toMatchObject({ status: 200, dataProtocolVersion: 100 });
    expect(req('LSL:streamfeed/200', []).status).toBe(505);
  });

  it('a time probe is answered with the wave id, t0 and both outlet times', () => {
    expect(timeProbeReply('42 1000.25\r\n', 2000.5, 2000.75)).toBe(' 42 1000.25 2000.5 2000.75');
    expect(timeProbeReply('x 1', 1, 2)).toBeUndefined();
  });
});
