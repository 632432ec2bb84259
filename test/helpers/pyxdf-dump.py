"""Test oracle: loads an XDF file with pyxdf's load_xdf (its defaults: clocks synchronised,
time stamps de-jittered) and prints every stream as JSON for the TypeScript tests to compare.
Run with PYTHONPATH pointing at the shared pyxdf: python3 pyxdf-dump.py FILE.xdf [--raw]
(--raw: synchronize_clocks=False, dejitter_timestamps=False)."""
import json
import sys

import numpy as np
import pyxdf

raw = "--raw" in sys.argv[2:]
streams, header = pyxdf.load_xdf(
    sys.argv[1], synchronize_clocks=not raw, dejitter_timestamps=not raw
)


def values(series, fmt):
    if fmt == "string":
        return [list(row) for row in series]
    arr = np.asarray(series)
    if fmt == "int64":
        return [[str(int(v)) for v in row] for row in arr]
    return [[float(v) for v in row] for row in arr]


out = []
for s in streams:
    info = s["info"]
    fmt = info["channel_format"][0]
    out.append(
        dict(
            id=int(info["stream_id"]),
            name=info["name"][0],
            type=(info.get("type") or [""])[0],
            channel_format=fmt,
            channel_count=int(info["channel_count"][0]),
            nominal_srate=float(info["nominal_srate"][0]),
            effective_srate=float(info["effective_srate"]),
            segments=[list(x) for x in info["segments"]],
            clock_segments=[list(x) for x in info["clock_segments"]],
            time_stamps=[float(t) for t in s["time_stamps"]],
            time_series=values(s["time_series"], fmt),
            clock_times=[float(t) for t in s["clock_times"]],
            clock_values=[float(t) for t in s["clock_values"]],
            desc=info.get("desc"),
        )
    )
json.dump(dict(streams=out), sys.stdout)
