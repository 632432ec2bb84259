/** The data model, errors and clock: imported by every folder, imports none of them. */
export * from './errors.js';
export * from './validate.js';
export * from './clock.js';
export * from './version.js';
export * from './stream-info.js';
export * from './sample-block.js';
export * from './marker.js';
export * from './feature-frame.js';
export * from './intent.js';
export * from './printable.js';
export * from './channel-names.js';
export { parseXml, serializeXml, escapeXml, child, childText, textAt, element, type XmlElement } from './xml.js';
