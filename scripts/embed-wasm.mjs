// Assembles a WebAssembly text module with wabt (SIMD enabled) and writes it, base64-encoded, as
// a TypeScript module exporting `name` — what scripts/build-*-wasm.mjs share.
import { writeFileSync } from 'node:fs';
import wabtInit from 'wabt';

/**
 * @param {string} wat the module's text
 * @param {{ name: string, target: URL, header: string, label: string }} out the constant's name,
 *   the .ts file to write, its header comment, and a label to log
 */
export async function embedWasm(wat, { name, target, header, label }) {
  const wabt = await wabtInit();
  const module = wabt.parseWat(`${label}.wat`, wat, { simd: true });
  module.validate();
  const { buffer } = module.toBinary({});
  writeFileSync(target, `${header}\nexport const ${name} = '${Buffer.from(buffer).toString('base64')}';\n`);
  console.log(`${label}: ${buffer.length} bytes`);
}
