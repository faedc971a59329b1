/** The router's version, reported by /version and --version. Kept in step with package.json. */
export const VERSION = '0.1.0';
