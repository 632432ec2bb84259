"""liblsl 1.17.7's side of `neurostream bench lsl`: an outlet that pushes float32 chunks, and an
inlet that pulls them, both through ctypes on ../shared/tools/lsl-peer/liblsl.so.2 (so the
reference library's own cost is measured, not a Python loop over samples). Run with LSLAPICFG
set to the loopback config. Prints one JSON line.

  python3 lsl-peer.py LIBLSL send NAME CHANNELS RATE SAMPLES CHUNK paced|flood
  python3 lsl-peer.py LIBLSL receive NAME SAMPLES

send: waits for a consumer, then pushes SAMPLES samples in chunks of CHUNK, sample i stamped
start + (i + 1) / RATE on lsl_local_clock() (paced: each chunk once its last sample's time has
come; flood: as fast as liblsl takes them).
Prints {"sent", "start"} (start: the clock before the first push).
receive: pulls (one sample blocking, then the rest without waiting) until SAMPLES arrived. Prints {"samples", "first", "last", "latency_ms"}: the
clock when the first and the last chunk came, and per chunk (receipt − timestamp of its last
sample) in ms.
"""
import ctypes, json, sys, time

lib = ctypes.CDLL(sys.argv[1])
mode, name = sys.argv[2], sys.argv[3]
lib.lsl_local_clock.restype = ctypes.c_double
clock = lib.lsl_local_clock
vp = ctypes.c_void_p

if mode == 'send':
    channels, rate, samples, chunk, how = int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7]), sys.argv[8]
    lib.lsl_create_streaminfo.restype = vp
    lib.lsl_create_streaminfo.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int32, ctypes.c_double, ctypes.c_int32, ctypes.c_char_p]
    lib.lsl_create_outlet.restype = vp
    lib.lsl_create_outlet.argtypes = [vp, ctypes.c_int32, ctypes.c_int32]
    lib.lsl_wait_for_consumers.argtypes = [vp, ctypes.c_double]
    lib.lsl_push_chunk_ftp.argtypes = [vp, ctypes.POINTER(ctypes.c_float), ctypes.c_ulong, ctypes.c_double, ctypes.c_int32]
    lib.lsl_destroy_outlet.argtypes = [vp]
    info = lib.lsl_create_streaminfo(name.encode(), b'EEG', channels, rate, 1, b'bench-peer')
    out = lib.lsl_create_outlet(info, chunk, 360)
    if not lib.lsl_wait_for_consumers(out, 30.0):
        sys.stderr.write('no consumer within 30 s\n')
        sys.exit(1)
    time.sleep(0.5)  # let the consumer finish connecting (time probes, full info)
    data = (ctypes.c_float * (chunk * channels))(*[float(k % 1000) for k in range(chunk * channels)])
    start = clock()
    for k in range(0, samples, chunk):
        if how == 'paced':
            wait = start + (k + chunk) / rate - clock()
            if wait > 0:
                time.sleep(wait)
        # Stamped at nominal times (sample i at start + (i + 1) / rate), as an amplifier's clock
        # would: the chunk goes out once its last sample's time has come.
        lib.lsl_push_chunk_ftp(out, data, chunk * channels, start + (k + chunk) / rate, 1)
    print(json.dumps({'sent': samples, 'start': start}), flush=True)
    time.sleep(2.0)
    lib.lsl_destroy_outlet(out)
else:
    want = int(sys.argv[4])
    lib.lsl_resolve_byprop.argtypes = [ctypes.POINTER(vp), ctypes.c_uint32, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int32, ctypes.c_double]
    lib.lsl_create_inlet.restype = vp
    lib.lsl_create_inlet.argtypes = [vp, ctypes.c_int32, ctypes.c_int32, ctypes.c_int32]
    lib.lsl_open_stream.argtypes = [vp, ctypes.c_double, ctypes.POINTER(ctypes.c_int32)]
    lib.lsl_get_channel_count.argtypes = [vp]
    lib.lsl_pull_sample_f.restype = ctypes.c_double
    lib.lsl_pull_sample_f.argtypes = [vp, ctypes.POINTER(ctypes.c_float), ctypes.c_int32, ctypes.c_double, ctypes.POINTER(ctypes.c_int32)]
    lib.lsl_pull_chunk_f.restype = ctypes.c_ulong
    lib.lsl_pull_chunk_f.argtypes = [vp, ctypes.POINTER(ctypes.c_float), ctypes.POINTER(ctypes.c_double), ctypes.c_ulong, ctypes.c_ulong, ctypes.c_double, ctypes.POINTER(ctypes.c_int32)]
    found = (vp * 1)()
    if lib.lsl_resolve_byprop(found, 1, b'name', name.encode(), 1, 30.0) < 1:
        sys.stderr.write('stream not found\n')
        sys.exit(1)
    channels = lib.lsl_get_channel_count(found[0])
    inlet = lib.lsl_create_inlet(found[0], 360, 0, 1)
    ec = ctypes.c_int32(0)
    lib.lsl_open_stream(inlet, 30.0, ctypes.byref(ec))
    cap = 4096
    data = (ctypes.c_float * (cap * channels))()
    ts = (ctypes.c_double * cap)()
    n, first, last, lat = 0, 0.0, 0.0, []
    one = (ctypes.c_float * channels)()
    while n < want:
        # The usual liblsl idiom: block for one sample, then take whatever else is there without
        # waiting (pull_chunk with a timeout waits until its buffer is full).
        t = lib.lsl_pull_sample_f(inlet, one, channels, 5.0, ctypes.byref(ec))
        if ec.value or t == 0.0:
            sys.stderr.write('pull failed %d\n' % ec.value)
            sys.exit(1)
        got = lib.lsl_pull_chunk_f(inlet, data, ts, cap * channels, cap, 0.0, ctypes.byref(ec))
        k = got // channels
        now = clock()
        k_last = ts[k - 1] if k > 0 else t
        k += 1
        if n == 0:
            first = now
        last = now
        n += k
        lat.append((now - k_last) * 1000)
    print(json.dumps({'samples': n, 'first': first, 'last': last, 'latency_ms': lat}), flush=True)
