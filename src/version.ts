// floe's version, as package.json names it (a unit test keeps the two equal). Written into every
// Parquet footer (created_by) and every snapshot floe commits (floe.version).
export const FLOE_VERSION = '0.1.0';
