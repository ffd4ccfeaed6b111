-- S3 checksums (x-amz-checksum-*) kept with objects and parts, the algorithm an upload declared, and the
-- order ListMultipartUploads pages in (key, then initiation).
ALTER TABLE s3_objects ADD COLUMN checksum_algorithm TEXT;
ALTER TABLE s3_objects ADD COLUMN checksum_value TEXT;
ALTER TABLE s3_uploads ADD COLUMN checksum_algorithm TEXT;
ALTER TABLE s3_upload_parts ADD COLUMN checksum_algorithm TEXT;
ALTER TABLE s3_upload_parts ADD COLUMN checksum_value TEXT;
CREATE INDEX s3_uploads_by_key ON s3_uploads (bucket, key, initiated, upload_id);
