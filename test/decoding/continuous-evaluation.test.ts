import { describe, expect, it } from 'vitest';
import { readFeatureTable } from '../../decoding/datasets/feature-table.js';
import { crossValidateContinuous } from '../../decoding/evaluation/continuous-evaluation.js';
import { sharedData } from '../helpers/shared-data.js';

describe('m1 scratch', () => {
  it('runs', async () => {
    let t = performance.now();
    const table = await readFeatureTable(sharedData('spiking/m1_binned.csv'), { features: 'unit_*', target: ['vel_x', 'vel_y'] });
    console.log('read ms', performance.now() - t, table.n, table.featureNames.length);
    t = performance.now();
    const k = crossValidateContinuous(table, { decoder: 'kalman', folds: 5 });
    console.log('kalman ms', performance.now() - t, JSON.stringify(k));
    t = performance.now();
    const r = crossValidateContinuous(table, { decoder: 'ridge', lags: 4, folds: 5 });
    console.log('ridge ms', performance.now() - t, JSON.stringify(r));
    expect(r.meanR2).toBeGreaterThan(0.76);
  }, 600_000);
});
