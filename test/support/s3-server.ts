import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

/** s3rver's own fixed credentials. */
export const s3Credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface S3TestServer {
  endpoint: string;
  /** Where the server keeps its objects and in-progress multipart parts. */
  dataDir: string;
  client: S3Client;
  /** A new, empty bucket. */
  createBucket(name: string): Promise<string>;
  /** The environment a Genonaut role needs to use `bucket` on this server (config keys and AWS credentials). */
  env(bucket: string, extra?: Record<string, string>): Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Starts the S3-compatible test server (s3rver, from the npm registry) as its own process on a free
 * loopback port with its data in a temporary folder. Fails when it does not come up.
 */
export async function startS3Server(): Promise<S3TestServer> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'gn-s3-'));
  const bin = createRequire(import.meta.url).resolve('s3rver/bin/s3rver.js');
  const child = spawn(process.execPath, [bin, '-d', dataDir, '-a', '127.0.0.1', '-p', '0', '--silent', '--no-vhost-buckets'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await listeningPort(child);
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: s3Credentials });
  return {
    endpoint,
    dataDir,
    client,
    async createBucket(name) {
      await client.send(new CreateBucketCommand({ Bucket: name }));
      return name;
    },
    env: (bucket, extra = {}) => ({
      STORAGE_BACKEND: 's3',
      S3_BUCKET: bucket,
      S3_ENDPOINT: endpoint,
      S3_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: s3Credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3Credentials.secretAccessKey,
      ...extra,
    }),
    async stop() {
      client.destroy();
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

function listeningPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => fail(new Error(`the S3 test server (s3rver) did not start within 15 s: ${err || out}`)), 15_000);
    const fail = (e: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(e);
    };
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on \S+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => fail(new Error(`the S3 test server (s3rver) exited with ${code} before listening: ${err || out}`)));
  });
}
