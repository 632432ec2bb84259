/** The ONNX model the CLI's 16-channel simulated session can run (`run --model`, `serve`). */
import { writeFileSync } from 'node:fs';
import { exportOnnx } from '../../decoding/onnx/onnx-export.js';
import { randomKalman, TestRandom } from '../decoding/onnx/helpers.js';

/** Writes a Kalman filter over the 16-channel session's 32 features (crossings, then spike-band power) to `path`. */
export function sessionModel(path: string): string {
  const channels = Array.from({ length: 16 }, (_, c) => `ch${String(c + 1).padStart(4, '0')}`);
  const inputNames = [...channels.map((c) => `tc:${c}`), ...channels.map((c) => `sbp:${c}`)];
  writeFileSync(path, exportOnnx({ ...randomKalman(new TestRandom(3), 32, 4, 4), inputNames }));
  return path;
}
