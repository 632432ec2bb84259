"""Writes a small NWB file with pynwb 2.3.1 (the reference writer), for the import tests.

Usage: pynwb-write.py OUT.nwb [--processing]  (PYTHONPATH: ../shared/tools/pynwb)
With --processing, also a processing module `ecephys` holding a TimeSeries named
`threshold_crossings` that is not neurostream's (no neurostream comments): a reader must refuse it.
An ElectricalSeries of 3 electrodes (int16 counts, conversion 0.195e-6 V per count), 1000 samples
at 2 kHz from 0.5 s, electrodes with locations CA1/CA3/DG in one group of one device; and two
trials (start, stop, a `condition` column). Prints the values written, as JSON, for the test.
"""
import json
import sys
from datetime import datetime, timezone

import numpy as np
from pynwb import NWBFile, NWBHDF5IO
from pynwb.ecephys import ElectricalSeries

f = NWBFile(session_description='pynwb reference file', identifier='pynwb-ref-1', session_start_time=datetime(2024, 3, 1, 12, 0, 0, tzinfo=timezone.utc))
device = f.create_device(name='probe', description='a reference probe')
group = f.create_electrode_group(name='shank0', description='shank 0', location='hippocampus', device=device)
for location in ['CA1', 'CA3', 'DG']:
    f.add_electrode(group=group, location=location)
region = f.create_electrode_table_region(list(range(3)), 'all electrodes')
rng = np.random.default_rng(7)
data = rng.integers(-2000, 2000, size=(1000, 3)).astype('int16')
f.add_acquisition(ElectricalSeries(name='raw', data=data, electrodes=region, rate=2000.0, starting_time=0.5, conversion=0.195e-6))
f.add_trial_column(name='condition', description='the cue')
f.add_trial(start_time=0.6, stop_time=0.7, condition='left')
f.add_trial(start_time=0.8, stop_time=0.95, condition='right')
if '--processing' in sys.argv[2:]:
    from pynwb import TimeSeries
    module = f.create_processing_module(name='ecephys', description='foreign features')
    module.add(TimeSeries(name='threshold_crossings', data=np.ones((10, 3)), unit='count', timestamps=np.arange(10) * 0.02 + 0.5))
with NWBHDF5IO(sys.argv[1], 'w') as io:
    io.write(f)
print(json.dumps({'data': data.astype(int).tolist()}))
