// `routectl mrt dump FILE [--json]`: one line per announced/withdrawn prefix, state change or RIB
// entry, in the format of `bgpdump -m` (see src/mrt/bgpdump.ts), or one JSON object per line
// with the same fields plus the codec's decoded path attributes and findings. Output goes through
// a buffered writer. Malformed framing prints everything before it, then an error naming the byte
// offset on stderr, exit status 1. An UPDATE or RIB entry the codec rejects prints no line but a
// warning with the record's byte offset and the codec's reason (--json: an object with
// decodeError); the exit status stays 0.

import { writeSync } from 'node:fs';
import { BgpdumpFormatter, type BgpdumpLine } from '../mrt/bgpdump.js';
import { loadMrtFile } from '../mrt/input.js';
import { readMrt } from '../mrt/reader.js';
import { MrtFramingError, type MrtRecord } from '../mrt/types.js';
import type { Command } from './routectl.js';

/** Collects output and writes it to a file descriptor in large blocks. */
export class BufferedWriter {
  private chunks: string[] = [];
  private size = 0;
  /** The reader went away (EPIPE, e.g. `| head`): further output is dropped. */
  closed = false;

  constructor(
    private readonly fd: number,
    private readonly limit = 1 << 16,
  ) {}

  line(s: string): void {
    this.chunks.push(s, '\n');
    this.size += s.length + 1;
    if (this.size >= this.limit) this.flush();
  }

  flush(): void {
    if (this.size === 0) return;
    if (this.closed) {
      this.chunks = [];
      this.size = 0;
      return;
    }
    const buf = Buffer.from(this.chunks.join(''), 'utf8');
    this.chunks = [];
    this.size = 0;
    let off = 0;
    while (off < buf.length) {
      try {
        off += writeSync(this.fd, buf, off);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') continue;
        if (code === 'EPIPE') {
          this.closed = true;
          return;
        }
        throw e;
      }
    }
  }
}

function jsonFor(rec: MrtRecord, line: BgpdumpLine): Record<string, unknown> {
  const obj: Record<string, unknown> = { ...line.fields };
  if (line.error !== undefined) {
    obj.offset = rec.header.offset;
    if (line.entryIndex !== undefined) obj.entryIndex = line.entryIndex;
    obj.decodeError = line.error;
    return obj;
  }
  if (rec.kind === 'message') {
    if (rec.addPathInferred) obj.addPathInferred = true;
    if (rec.addPathFromSession) obj.addPathFromSession = true;
    if (rec.decoded.ok && rec.decoded.msg.type === 'UPDATE') {
      obj.attributes = rec.decoded.msg.attributes;
      if (rec.decoded.findings.length > 0) obj.findings = rec.decoded.findings;
    }
  } else if (rec.kind === 'rib' && line.entryIndex !== undefined) {
    const entry = rec.entries[line.entryIndex];
    if (entry?.attributes.ok) {
      obj.attributes = entry.attributes.attributes;
      if (entry.attributes.findings.length > 0) obj.findings = entry.attributes.findings;
    }
  }
  return obj;
}

function warning(file: string, rec: MrtRecord, line: BgpdumpLine): string {
  const what = line.entryIndex === undefined ? 'UPDATE' : `RIB entry ${line.entryIndex} (${line.fields.prefix ?? ''})`;
  return `routectl mrt dump: ${file}: warning: record at byte offset ${rec.header.offset}: ${what} does not decode, not printed: ${line.error ?? ''}`;
}

export function mrtDump(file: string, json: boolean, out: BufferedWriter, err: (s: string) => void): number {
  let buf: Uint8Array;
  try {
    buf = loadMrtFile(file);
  } catch (e) {
    err(`routectl mrt dump: ${file}: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
  const fmt = new BgpdumpFormatter();
  try {
    for (const rec of readMrt(buf)) {
      if (out.closed) return 0;
      for (const line of fmt.lines(rec)) {
        if (json) out.line(JSON.stringify(jsonFor(rec, line)));
        else if (line.error === undefined) out.line(line.text);
        else err(warning(file, rec, line));
      }
    }
  } catch (e) {
    out.flush();
    if (e instanceof MrtFramingError) {
      err(`routectl mrt dump: ${file}: ${e.message}`);
      return 1;
    }
    throw e;
  }
  out.flush();
  return 0;
}

export const mrtDumpCommand: Command = {
  words: ['mrt', 'dump'],
  usage: 'mrt dump FILE [--json]   print an MRT file (plain, gzip or bzip2) like bgpdump -m',
  run(args: string[]): number {
    const json = args.includes('--json');
    const files = args.filter((a) => a !== '--json');
    if (files.length !== 1 || files[0]!.startsWith('-')) {
      process.stderr.write(`usage: routectl ${mrtDumpCommand.usage}\n`);
      return 2;
    }
    const out = new BufferedWriter(1);
    return mrtDump(files[0]!, json, out, (s) => process.stderr.write(s + '\n'));
  },
};
