/** The neurostream version recorded into every StreamInfo. A test keeps it equal to package.json. */
export const SOFTWARE_VERSION = '0.1.0';
