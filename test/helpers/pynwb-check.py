"""The reference NWB reader as a test oracle: validates FILE with pynwb 2.3.1 and reads it back.

Usage: pynwb-check.py FILE OUTDIR  (PYTHONPATH: ../shared/tools/pynwb)
Prints one JSON object: the validation errors (against pynwb's schema, and against the namespaces
cached in the file, which it also reads with load_namespaces=True), and what pynwb reads (series, electrodes,
intervals, processing modules, general fields). Each series' data is written as raw
little-endian bytes (OUTDIR/<name>.data, dtype in the JSON) and its timestamps as float64
(OUTDIR/<name>.timestamps), so the test compares every value.
"""
import json
import os
import sys

import numpy as np
from pynwb import NWBHDF5IO, validate
from pynwb.ecephys import ElectricalSeries


def column(table, name):
    values = table[name].data[:]
    out = []
    for v in values:
        if isinstance(v, bytes):
            v = v.decode()
        elif isinstance(v, (np.integer,)):
            v = int(v)
        elif isinstance(v, (np.floating,)):
            v = float(v)
        elif not isinstance(v, (str, int, float)):
            v = getattr(v, 'name', str(v))
        out.append(v)
    return out


def table(t):
    return {'description': t.description, 'colnames': list(t.colnames), 'rows': len(t), 'columns': {c: column(t, c) for c in t.colnames}}


def series(s, outdir, key):
    data = np.asarray(s.data[:])
    info = {
        'type': type(s).__name__,
        'shape': list(data.shape),
        'dtype': data.dtype.str,
        'unit': s.unit,
        'conversion': float(s.conversion),
        'rate': None if s.rate is None else float(s.rate),
        'starting_time': None if s.starting_time is None else float(s.starting_time),
        'timestamps': None if s.timestamps is None else len(s.timestamps),
        'description': s.description,
        'comments': s.comments,
    }
    data.tofile(os.path.join(outdir, key + '.data'))
    if s.timestamps is not None:
        np.asarray(s.timestamps[:], dtype='<f8').tofile(os.path.join(outdir, key + '.timestamps'))
    if isinstance(s, ElectricalSeries):
        info['electrodes'] = [int(i) for i in s.electrodes.data[:]]
        info['channel_conversion'] = None if s.channel_conversion is None else [float(v) for v in s.channel_conversion[:]]
        # pynwb's own scaling of the stored values to volts, for the first row (checks the conversion).
        info['volts_row0'] = [float(v) for v in (data[0].astype('<f8') * s.conversion * (np.asarray(s.channel_conversion[:]) if s.channel_conversion is not None else 1.0))] if data.shape[0] > 0 else []
    return info


def main():
    path, outdir = sys.argv[1], sys.argv[2]
    with NWBHDF5IO(path, 'r') as io:
        errors = [str(e) for e in validate(io)]
    # The schema cached in the file (/specifications, .specloc): what DANDI-style readers load.
    cached = NWBHDF5IO.get_namespaces(path=path)
    cached_errors, cached_status = validate(paths=[path], use_cached_namespaces=True)
    cached_read = None
    if cached:
        with NWBHDF5IO(path, 'r', load_namespaces=True) as io:
            cached_read = type(io.read()).__name__
    with NWBHDF5IO(path, 'r') as io:
        f = io.read()
        out = {
            'errors': errors,
            'cached_namespaces': cached,
            'cached_validation': {'errors': [str(e) for e in cached_errors], 'status': cached_status},
            'cached_read': cached_read,
            'nwb_version': io._file.attrs.get('nwb_version'),
            'identifier': f.identifier,
            'session_description': f.session_description,
            'session_start_time': f.session_start_time.isoformat(),
            'notes': f.notes,
            'data_collection': f.data_collection,
            'source_script': f.source_script,
            'source_script_file_name': f.source_script_file_name,
            'devices': {k: d.description for k, d in f.devices.items()},
            'electrode_groups': {k: {'location': g.location, 'device': g.device.name} for k, g in f.electrode_groups.items()},
            'electrodes': None if f.electrodes is None else table(f.electrodes),
            'acquisition': {k: series(s, outdir, 'acquisition.' + k) for k, s in f.acquisition.items()},
            'intervals': {k: table(t) for k, t in f.intervals.items()},
            'processing': {m: {k: series(s, outdir, 'processing.' + m + '.' + k) for k, s in mod.data_interfaces.items()} for m, mod in f.processing.items()},
        }
    print(json.dumps(out, default=str))


main()
