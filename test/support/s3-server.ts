// The S3 test server lives with the sandbox, which ships it; the tests use the same one.
export * from '../../operator/sandbox/s3-server.ts';
