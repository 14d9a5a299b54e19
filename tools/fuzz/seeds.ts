// Seed inputs for the fuzz targets, from the repository's own corpora: the golden wire messages,
// the malformed corpus, and the RIS MRT capture. Each seed carries the flags byte its target reads
// first (context bits from the file's context, raw framing).

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const root = path.resolve(fileURLToPath(import.meta.url), '../../../..');

interface HexFile {
  hex: string;
  context: { as4: boolean; addPath: string[]; extendedMessage: boolean };
}

function flagsOf(c: HexFile['context']): number {
  return (c.as4 ? 1 : 0) | (c.addPath.includes('1/1') ? 2 : 0) | (c.addPath.includes('2/1') ? 4 : 0) | (c.extendedMessage ? 8 : 0);
}

function hexFiles(dir: string): HexFile[] {
  const full = path.join(root, dir);
  return readdirSync(full)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(path.join(full, f), 'utf8')) as HexFile)
    .filter((m) => typeof m.hex === 'string' && m.context !== undefined);
}

function messages(): HexFile[] {
  return [...hexFiles('test/golden/wire'), ...hexFiles('test/malformed')];
}

export function codecSeeds(): Uint8Array[] {
  return messages().map((m) => Buffer.concat([Uint8Array.of(flagsOf(m.context)), Buffer.from(m.hex, 'hex')]));
}

/** A byte stream of several golden messages, as a peer would send them after the OPENs. */
export function sessionSeeds(): Uint8Array[] {
  const plain = messages().filter((m) => flagsOf(m.context) === 0 && !m.hex.slice(36, 38).match(/^01$/));
  const out: Uint8Array[] = [];
  for (let i = 0; i < plain.length; i += 4) {
    const chunkByte = i % 7;
    out.push(Buffer.concat([Uint8Array.of(0, chunkByte), ...plain.slice(i, i + 4).map((m) => Buffer.from(m.hex, 'hex'))]));
  }
  return out;
}

/** Windows of whole records from the RIS capture (BGP4MP messages and state changes). */
export function mrtSeeds(count = 24, maxLen = 16384): Uint8Array[] {
  const buf = gunzipSync(readFileSync(path.join(root, 'test/data/ris-rrc15-updates.20100227.1600.gz')));
  const starts: number[] = [];
  for (let off = 0; off + 12 <= buf.length && starts.length < 4000; off += 12 + buf.readUInt32BE(off + 8)) starts.push(off);
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const at = starts[Math.floor((i * starts.length) / count)]!;
    let end = at;
    while (end + 12 <= buf.length && end + 12 + buf.readUInt32BE(end + 8) - at <= maxLen - 1 && end - at < 512) end += 12 + buf.readUInt32BE(end + 8);
    out.push(Buffer.concat([Uint8Array.of(0), buf.subarray(at, end)]));
  }
  return out;
}

export const SEEDS: Record<string, () => Uint8Array[]> = { codec: codecSeeds, mrt: mrtSeeds, session: sessionSeeds };
