import { openRecording } from './dist/recordings/recording-reader.js';
for (let k = 0; k < 2; k++) {
let t = performance.now(); let n = 0;
for (const b of openRecording(process.argv[2]).blocks({ markers: false })) n += b.length;
const s = (performance.now() - t) / 1000; console.log('blocks()', (n / 30000 / s).toFixed(1), 'x RT');
}
