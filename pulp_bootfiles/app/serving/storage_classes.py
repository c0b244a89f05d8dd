"""The storage classes (a domain's `storage_class`) whose files the serving routes answer
themselves: files on the filesystem are sent with sendfile, files in S3 by a presigned URL."""

FILESYSTEM_STORAGE = "pulpcore.app.models.storage.FileSystem"
# django-storages' S3 backend, by its older and its newer name.
S3_STORAGES = ("storages.backends.s3boto3.S3Boto3Storage", "storages.backends.s3.S3Storage")
