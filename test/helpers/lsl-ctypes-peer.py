"""An LSL outlet on liblsl 1.17.7 (../shared/tools/lsl-peer/liblsl.so.2) driven through ctypes, for
the channel formats lsl-peer's `send` lacks (int8, int64). Run it with LSLAPICFG set to a loopback
config (test/helpers/lsl-peer.ts does). Pushes in real time, each sample stamped with
lsl_local_clock(), then prints {"sent":n,"first_ts":..,"last_ts":..} as lsl-peer does.

  python3 lsl-ctypes-peer.py LIBLSL NAME FORMAT CHANNELS RATE SAMPLES CHUNK [huge]

Channel c of sample i: int8 ((7i + 13c) mod 256) - 128; int64 (((7i + 13c) mod 1000) * 4 - 2000)
* 2^40 + 3i + c (beyond 2^32, within 2^53); with `huge`, channel 0 holds 2^60 + i instead.
"""
import ctypes, json, sys, time

lib_path, name, fmt, channels, rate, samples, chunk = sys.argv[1:8]
huge = len(sys.argv) > 8 and sys.argv[8] == 'huge'
channels, rate, samples, chunk = int(channels), float(rate), int(samples), int(chunk)
lib = ctypes.CDLL(lib_path)
lib.lsl_local_clock.restype = ctypes.c_double
lib.lsl_create_streaminfo.restype = ctypes.c_void_p
lib.lsl_create_streaminfo.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int32, ctypes.c_double, ctypes.c_int32, ctypes.c_char_p]
lib.lsl_create_outlet.restype = ctypes.c_void_p
lib.lsl_create_outlet.argtypes = [ctypes.c_void_p, ctypes.c_int32, ctypes.c_int32]
lib.lsl_wait_for_consumers.argtypes = [ctypes.c_void_p, ctypes.c_double]
lib.lsl_destroy_outlet.argtypes = [ctypes.c_void_p]
CFT = {'int8': 6, 'int64': 7}
if fmt == 'int8':
    ctype, push = ctypes.c_int8, lib.lsl_push_sample_ctp
else:
    ctype, push = ctypes.c_int64, lib.lsl_push_sample_ltp
push.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctype), ctypes.c_double, ctypes.c_int32]


def value(i, c):
    if fmt == 'int8':
        return ((7 * i + 13 * c) % 256) - 128
    if huge and c == 0:
        return 2 ** 60 + i
    return (((7 * i + 13 * c) % 1000) * 4 - 2000) * 2 ** 40 + 3 * i + c


info = lib.lsl_create_streaminfo(name.encode(), b'EEG', channels, rate, CFT[fmt], b'ctypes-peer')
out = lib.lsl_create_outlet(info, chunk, 360)
if not lib.lsl_wait_for_consumers(out, 20.0):
    sys.stderr.write('lsl-ctypes-peer: no consumer within 20 s\n')
    sys.exit(1)
period = 1.0 / rate if rate > 0 else 0.01
t0 = lib.lsl_local_clock()
buf = (ctype * channels)()
first = last = 0.0
for i in range(samples):
    ts = t0 + i * period
    wait = ts - lib.lsl_local_clock()
    if wait > 0:
        time.sleep(wait)
    for c in range(channels):
        buf[c] = value(i, c)
    push(out, buf, ts, 1 if (i + 1) % chunk == 0 or i == samples - 1 else 0)
    if i == 0:
        first = ts
    last = ts
time.sleep(0.5)
print(json.dumps({'sent': samples, 'first_ts': first, 'last_ts': last}))
lib.lsl_destroy_outlet(out)
