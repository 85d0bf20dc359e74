// Table properties floe reads or sets, in Iceberg's names, and the defaults of the tables floe
// creates. A connector's `table.properties` override any default here.
//
// Bounded metadata from the first commit: a connector that commits every few seconds writes a
// new metadata file per commit. With delete-after-commit on and a bounded history, the catalog
// (Iceberg's REST server, or floe's SQL catalog: sql-catalog.ts) deletes the metadata files that
// fall off the metadata log, so the metadata folder stays bounded even where no maintenance
// worker runs. (Snapshots themselves are bounded by the maintenance worker's expiry.)

export const METADATA_DELETE_AFTER_COMMIT = 'write.metadata.delete-after-commit.enabled';
export const METADATA_PREVIOUS_VERSIONS_MAX = 'write.metadata.previous-versions-max';
export const PARQUET_ROW_GROUP_SIZE_BYTES = 'write.parquet.row-group-size-bytes';
export const TARGET_FILE_SIZE_BYTES = 'write.target-file-size-bytes';
export const MAX_SNAPSHOT_AGE_MS = 'history.expire.max-snapshot-age-ms';
export const MIN_SNAPSHOTS_TO_KEEP = 'history.expire.min-snapshots-to-keep';
export const MAX_REF_AGE_MS = 'history.expire.max-ref-age-ms';

/** Metadata files kept besides the current one, for the tables floe creates (Iceberg's own default is 100, without deletion). */
export const CREATED_METADATA_VERSIONS_MAX = 25;

/** What a table floe creates gets unless the connector file says otherwise. */
export const CREATED_TABLE_DEFAULTS: Readonly<Record<string, string>> = {
  [METADATA_DELETE_AFTER_COMMIT]: 'true',
  [METADATA_PREVIOUS_VERSIONS_MAX]: String(CREATED_METADATA_VERSIONS_MAX),
};

/** The properties of a table floe creates: the defaults, then the configured ones. */
export function createdTableProperties(configured: Readonly<Record<string, string>> = {}): Record<string, string> {
  return { ...CREATED_TABLE_DEFAULTS, ...configured };
}
