import { describe, expect, it } from 'vitest';
import { parseCytonBanner } from '../../../../devices/protocols/cyton/cyton-banner.js';
import { deviceStreamId } from '../../../../devices/transport/device-id.js';

const CYTON = 'OpenBCI V3 8-16 channel\nOn Board ADS1299 Device ID: 0x3E\nLIS3DH Device ID: 0x33\nFirmware: v3.1.2\n';
const DAISY = 'OpenBCI V3 8-16 channel\nOn Board ADS1299 Device ID: 0x3E\nOn Daisy ADS1299 Device ID: 0x3E\nLIS3DH Device ID: 0x33\nFirmware: v3.1.2\n';

describe('parseCytonBanner', () => {
  it('tells a Cyton from a Cyton + Daisy, also in older firmware’s words', () => {
    expect(parseCytonBanner(CYTON)).toEqual({ daisy: false, firmware: 'v3.1.2' });
    expect(parseCytonBanner(DAISY)).toEqual({ daisy: true, firmware: 'v3.1.2' });
    expect(parseCytonBanner('OpenBCI V3 16 channel\nADS1299 Device ID: 0x3E\nADS1299 Device ID: 0x3E\nLIS3DH Device ID: 0x33\n')).toEqual({ daisy: true, firmware: undefined });
    // Bytes of packets still in flight before the banner are not part of it.
    expect(parseCytonBanner(`\u0012A\u00c0 7${CYTON}`)).toEqual({ daisy: false, firmware: 'v3.1.2' });
  });

  it('refuses two banners run together (a lost $$$) instead of reading a Daisy into them', () => {
    expect(parseCytonBanner(CYTON.replace('OpenBCI', 'OpenBSI') + CYTON)).toEqual({ daisy: false, firmware: 'v3.1.2' });
    expect(parseCytonBanner(CYTON + CYTON.replace('OpenBCI', 'OpenBSI'))).toBeNull();
    expect(parseCytonBanner(CYTON + CYTON.slice(CYTON.indexOf('\n') + 1))).toBeNull();
  });

  it('refuses a banner with a flipped bit in any line that matters', () => {
    for (let i = 0; i < DAISY.length; i++) {
      if (DAISY[i] === '\n') continue;
      for (let bit = 0; bit < 7; bit++) {
        const garbled = DAISY.slice(0, i) + String.fromCharCode(DAISY.charCodeAt(i) ^ (1 << bit)) + DAISY.slice(i + 1);
        const got = parseCytonBanner(garbled);
        // Either refused, or still read as the same board (e.g. a device ID's hex digit changed).
        if (got) expect(got.daisy).toBe(true);
      }
    }
  });
});

describe('deviceStreamId', () => {
  it('names a device by its kind and the port’s own name, with no slashes', () => {
    expect(deviceStreamId('cyton', '/dev/ttyUSB0')).toBe('cyton-ttyUSB0');
    expect(deviceStreamId('frame', '/dev/serial/by-id/usb-FTDI_FT231X-if00-port0')).toBe('frame-usb-FTDI_FT231X-if00-port0');
    expect(deviceStreamId('cyton', 'COM3')).toBe('cyton-COM3');
    expect(deviceStreamId('cyton', '\\\\.\\COM12')).toBe('cyton-COM12');
    expect(deviceStreamId('intan', '::1')).toBe('intan-_1');
    expect(deviceStreamId('intan', '127.0.0.1')).toBe('intan-127.0.0.1');
  });
});
