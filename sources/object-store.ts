import { PassThrough, type Readable } from 'node:stream';
import { ShardError } from './errors.js';
import type { HttpOptions } from './http-shard.js';
import { resumableStream } from './resumable-stream.js';
import { expandShardSpec } from './shard-spec.js';
import { checkOptionKeys, optionKeys } from './option-keys.js';

const OBJECT_SHARD_STREAM_KEYS = optionKeys<HttpOptions>({ retries: true, timeoutMs: true, backoffMs: true });

const LIST_SHARDS_KEYS = optionKeys<{ readonly manifest?: boolean }>({ manifest: true });

/** An object store URL split: provider, bucket, key. */
export interface ObjectUrl {
  readonly provider: 's3' | 'gs';
  readonly bucket: string;
  readonly key: string;
}

/** True for `s3://` and `gs://` URLs. */
export function isObjectStoreUrl(url: string): boolean {
  return /^(s3|gs):\/\//i.test(url);
}

/** Splits `s3://bucket/key` or `gs://bucket/key`; a {@link ShardError} (`shard-open`) without bucket or key. */
export function parseObjectUrl(url: string): ObjectUrl {
  const m = /^(s3|gs):\/\/([^/]+)\/(.+)$/i.exec(url);
  if (!m)
    throw new ShardError(
      'shard-open',
      'Cannot open shard as an object store URL must be s3://bucket/key or gs://bucket/key',
      {
        url,
      },
    );
  const [, provider = '', bucket = '', key = ''] = m;
  return { provider: provider.toLowerCase() as 's3' | 'gs', bucket, key };
}

/** What a provider answers to one ranged read: the body from `start`, and the object's size if known. */
interface RangedBody {
  readonly body: Readable;
  readonly start: number;
  readonly total?: number;
}

/** One provider: ranged reads and listing, through its SDK, loaded on first use. */
interface Provider {
  read(o: ObjectUrl, start: number, signal: AbortSignal): Promise<RangedBody>;
  list(bucket: string, prefix: string): Promise<string[]>;
  /** True for errors that no retry fixes (missing object or bucket, denied). */
  permanent(err: unknown): boolean;
}

/** Loads an optional dependency, or fails with one line naming the package to install. */
async function optional<T>(name: string, url: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND')
      throw new ShardError(
        'shard-open',
        `Cannot open shard as ${url.slice(0, 5)} URLs need the package ${name}: npm i ${name}`,
        { url },
        err,
      );
    throw err;
  }
}

type S3Sdk = typeof import('@aws-sdk/client-s3');

/** One S3 client per endpoint and region, made on first use (never at import); their idle sockets do not hold the process. */
const s3Clients = new Map<string, InstanceType<S3Sdk['S3Client']>>();

/**
 * S3 and S3-compatible stores through `@aws-sdk/client-s3`: the endpoint from `AWS_ENDPOINT_URL_S3`
 * or `AWS_ENDPOINT_URL` (then path-style addressing, as MinIO, Ceph and most compatible servers
 * want), the region from `AWS_REGION`/`AWS_DEFAULT_REGION` (default us-east-1), credentials from the
 * SDK's standard chain (environment, shared files, SSO, container and instance roles).
 */
function s3Provider(url: string): Provider {
  const sdk = () => optional<S3Sdk>('@aws-sdk/client-s3', url);
  const client = async () => {
    const { S3Client } = await sdk();
    const endpoint = process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL || undefined;
    const region = process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || 'us-east-1';
    const id = `${endpoint ?? ''}|${region}`;
    let c = s3Clients.get(id);
    if (!c) s3Clients.set(id, (c = new S3Client({ region, endpoint, forcePathStyle: endpoint !== undefined })));
    return c;
  };
  return {
    async read(o, start, signal) {
      const { GetObjectCommand } = await sdk();
      const res = await (
        await client()
      ).send(new GetObjectCommand({ Bucket: o.bucket, Key: o.key, Range: start > 0 ? `bytes=${start}-` : undefined }), {
        abortSignal: signal,
      });
      const range = /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i.exec(res.ContentRange ?? '');
      const total = range && range[3] !== '*' ? Number(range[3]) : start === 0 ? res.ContentLength : undefined;
      return { body: res.Body as Readable, start: range ? Number(range[1]) : 0, total };
    },
    async list(bucket, prefix) {
      const { ListObjectsV2Command } = await sdk();
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await (
          await client()
        ).send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys;
    },
    permanent(err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      const status = e.$metadata?.httpStatusCode ?? 0;
      return (
        ['NoSuchKey', 'NoSuchBucket', 'AccessDenied', 'InvalidAccessKeyId', 'NotFound'].includes(e.name ?? '') ||
        (status >= 400 && status < 500 && ![408, 429].includes(status))
      );
    },
  };
}

type GcsSdk = typeof import('@google-cloud/storage');

/**
 * Google Cloud Storage through `@google-cloud/storage` (credentials: Application Default
 * Credentials; `STORAGE_EMULATOR_HOST` points it at an emulator, as the SDK documents).
 */
function gcsProvider(url: string): Provider {
  const storage = async () => {
    const { Storage } = await optional<GcsSdk>('@google-cloud/storage', url);
    return new Storage();
  };
  return {
    async read(o, start, signal) {
      const file = (await storage()).bucket(o.bucket).file(o.key);
      const [meta] = await file.getMetadata();
      const total = meta.size === undefined ? undefined : Number(meta.size);
      const body = file.createReadStream({ start, validation: false, decompress: false });
      signal.addEventListener('abort', () => body.destroy(), { once: true });
      return { body, start, total };
    },
    async list(bucket, prefix) {
      const [files] = await (await storage()).bucket(bucket).getFiles({ prefix, autoPaginate: true });
      return files.map((f) => f.name);
    },
    permanent(err) {
      const code = (err as { code?: number }).code ?? 0;
      return code >= 400 && code < 500 && ![408, 429].includes(code);
    },
  };
}

function providerFor(o: ObjectUrl, url: string): Provider {
  return o.provider === 's3' ? s3Provider(url) : gcsProvider(url);
}

/**
 * A byte stream of an `s3://` or `gs://` shard, read through the provider's SDK (loaded on first use;
 * a missing package fails with one line naming it). It survives dropped transfers as
 * `httpShardStream` does: after a drop it asks for the rest with a ranged read from the bytes
 * already delivered, so the bytes out are exactly the object's, once each; `retries` attempts in a
 * row without progress, then a {@link ShardError} `shard-http`; a missing object or a denied read
 * fails at once (`shard-open`). Reads only while consumed; destroying the stream aborts the request.
 */
export function objectShardStream(url: string, options: HttpOptions = {}): Readable {
  checkOptionKeys('objectShardStream', options, OBJECT_SHARD_STREAM_KEYS);
  const timeoutMs = options.timeoutMs ?? 30_000;
  let o: ObjectUrl;
  let provider: Provider;
  try {
    o = parseObjectUrl(url);
    provider = providerFor(o, url);
  } catch (err) {
    const failed = new PassThrough();
    process.nextTick(() => failed.destroy(err as Error));
    return failed;
  }
  return resumableStream({
    url,
    via: 'from the object store',
    retries: options.retries ?? 3,
    backoffMs: options.backoffMs ?? 200,
    open(a) {
      const abort = new AbortController();
      a.onRelease(() => abort.abort());
      provider.read(o, a.from, abort.signal).then(
        ({ body, start, total }) => a.deliver(body, start, total, { idleMs: timeoutMs }),
        (err: unknown) => {
          if (a.settled) return;
          if (provider.permanent(err))
            a.fail(
              'shard-open',
              `Cannot open shard as the object store refused it: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`,
              err,
            );
          else if (err instanceof ShardError) a.failWith(err);
          else a.retry(err instanceof Error ? err.message : String(err), err);
        },
      );
    },
  });
}

/** Characters that make a spec a glob to list (after brace expansion): `*`, `?`, `[...]`. */
const GLOB = /[*?[]/;

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += `[${glob
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += ch.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * Lists the shards a spec names, after brace expansion (`::` and `{000..009}` as {@link expandShardSpec}): `s3://bucket/train-*.tar`
 * (a glob over the key: `*` and `?` stop at `/`, `[...]` classes) lists the bucket under the prefix
 * before the first wildcard, sorted by key; `s3://bucket/shards.txt` ending in `.txt` with
 * `manifest: true` reads a manifest (one URL per line, relative keys beside it). Other URLs pass
 * through unchanged, so the result is what {@link fromShards} takes.
 *
 * @example const urls = await listShards('s3://data/fmnist/train-*.tar'); fromShards(urls, { seed: 1 })
 * @throws ShardError (`shard-open`) naming the spec when a glob matches nothing or a listing fails.
 */
export async function listShards(
  spec: string | readonly string[],
  options: { readonly manifest?: boolean } = {},
): Promise<string[]> {
  checkOptionKeys('listShards', options, LIST_SHARDS_KEYS);
  const out: string[] = [];
  for (const url of expandShardSpec(spec)) {
    if (!isObjectStoreUrl(url)) {
      out.push(url);
      continue;
    }
    const o = parseObjectUrl(url);
    const provider = providerFor(o, url);
    if (options.manifest && o.key.endsWith('.txt')) {
      const text = await readAll(objectShardStream(url));
      const dir = o.key.includes('/') ? o.key.slice(0, o.key.lastIndexOf('/') + 1) : '';
      for (const line of text.split('\n').map((l) => l.trim())) {
        if (line === '' || line.startsWith('#')) continue;
        out.push(/^[a-z][a-z0-9+.-]*:/i.test(line) ? line : `${o.provider}://${o.bucket}/${dir}${line}`);
      }
      continue;
    }
    if (!GLOB.test(o.key)) {
      out.push(url);
      continue;
    }
    const prefix = o.key.slice(0, o.key.search(GLOB));
    let keys: string[];
    try {
      keys = await provider.list(o.bucket, prefix);
    } catch (err) {
      throw new ShardError(
        'shard-open',
        `Cannot list shards as the object store refused the listing of ${prefix}`,
        { url },
        err,
      );
    }
    const re = globToRegExp(o.key);
    const matched = keys.filter((k) => re.test(k)).sort();
    if (matched.length === 0)
      throw new ShardError('shard-open', 'Cannot list shards as no object matches the pattern', { url });
    out.push(...matched.map((k) => `${o.provider}://${o.bucket}/${k}`));
  }
  return out;
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
