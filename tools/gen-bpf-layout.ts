// Generates src/fib/bpf/layout.generated.ts from bpf/routed_maps.h, the one definition of the map
// layouts shared by the XDP program and TypeScript. It reads the restricted subset of C that the
// header documents (#define integer constants, enums, structs of fixed-width integers and arrays)
// and fails on anything else, so the header cannot drift into something this does not model.
//
//   node dist/tools/gen-bpf-layout.js           write the file
//   node dist/tools/gen-bpf-layout.js --check   exit 1 if the committed file is stale (CI)

import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Field {
  name: string;
  type: 'u8' | 'u16' | 'u32' | 'u64';
  count: number; // 0 = scalar, else array length
  offset: number;
}
export interface Struct {
  name: string;
  fields: Field[];
  size: number;
}
export interface Enum {
  name: string;
  members: Array<{ name: string; value: number }>;
}
export interface Layout {
  defines: Array<{ name: string; value: number }>;
  enums: Enum[];
  structs: Struct[];
}

const SIZES = { u8: 1, u16: 2, u32: 4, u64: 8 } as const;

function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' ');
}

function parseInt0(text: string, defines: Map<string, number>, where: string): number {
  const t = text.trim().replace(/[uUlL]+$/, '');
  if (/^0x[0-9a-fA-F]+$/.test(t)) return parseInt(t, 16);
  if (/^[0-9]+$/.test(t)) return parseInt(t, 10);
  const d = defines.get(t);
  if (d === undefined) throw new Error(`${where}: not an integer or known #define: ${text}`);
  return d;
}

function parseStruct(name: string, body: string, defines: Map<string, number>): Struct {
  const fields: Field[] = [];
  let offset = 0;
  let align = 1;
  for (const decl of body.split(';').map((s) => s.trim()).filter((s) => s !== '')) {
    const m = /^__(u8|u16|u32|u64)\s+([A-Za-z_][A-Za-z0-9_]*)\s*(?:\[\s*([A-Za-z0-9_]+)\s*\])?$/.exec(decl);
    if (!m) throw new Error(`struct ${name}: unsupported declaration: ${decl}`);
    const type = m[1] as Field['type'];
    const size = SIZES[type];
    if (offset % size !== 0) throw new Error(`struct ${name}: implicit padding before ${m[2]} (offset ${offset}); add an explicit _pad field`);
    const count = m[3] === undefined ? 0 : parseInt0(m[3], defines, `struct ${name}.${m[2]}`);
    fields.push({ name: m[2]!, type, count, offset });
    offset += size * Math.max(count, 1);
    align = Math.max(align, size);
  }
  if (offset % align !== 0) throw new Error(`struct ${name}: implicit tail padding (size ${offset}, alignment ${align}); add an explicit _pad field`);
  return { name, fields, size: offset };
}

function parseEnum(name: string, body: string, defines: Map<string, number>): Enum {
  const members: Enum['members'] = [];
  const known = new Map(defines);
  let next = 0;
  for (const item of body.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*(?:=\s*(.+))?$/.exec(item);
    if (!m) throw new Error(`enum ${name}: unsupported member: ${item}`);
    const value = m[2] === undefined ? next : parseInt0(m[2], known, `enum ${name}.${m[1]}`);
    members.push({ name: m[1]!, value });
    known.set(m[1]!, value);
    next = value + 1;
  }
  return { name, members };
}

/** Parse the header text into defines, enums and structs, in file order. */
export function parseHeader(src: string): Layout {
  const text = stripComments(src);
  const defines = new Map<string, number>();
  const layout: Layout = { defines: [], enums: [], structs: [] };
  for (const line of text.split('\n')) {
    const m = /^\s*#\s*define\s+([A-Za-z_][A-Za-z0-9_]*)\s+(\S+)\s*$/.exec(line);
    if (!m) continue;
    const value = parseInt0(m[2]!, defines, `#define ${m[1]}`);
    defines.set(m[1]!, value);
    layout.defines.push({ name: m[1]!, value });
  }
  const body = text.split('\n').filter((l) => !/^\s*#/.test(l)).join('\n');
  const re = /\b(enum|struct)\s+([A-Za-z_][A-Za-z0-9_]*)\s*\{([^}]*)\}\s*;/g;
  let consumed = body;
  for (const m of body.matchAll(re)) {
    if (m[1] === 'enum') layout.enums.push(parseEnum(m[2]!, m[3]!, defines));
    else layout.structs.push(parseStruct(m[2]!, m[3]!, defines));
    consumed = consumed.replace(m[0], '');
  }
  if (consumed.trim() !== '') throw new Error(`unsupported C outside the documented subset: ${consumed.trim().slice(0, 80)}`);
  return layout;
}

const camel = (s: string): string => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const pascal = (s: string): string => camel(s).replace(/^[a-z]/, (c) => c.toUpperCase());

function commonPrefix(names: string[]): string {
  let p = names[0] ?? '';
  for (const n of names) while (!n.startsWith(p)) p = p.slice(0, -1);
  return p.slice(0, p.lastIndexOf('_') + 1);
}

function tsType(f: Field): string {
  if (f.count === 0) return f.type === 'u64' ? 'bigint' : 'number';
  if (f.type === 'u8') return 'Uint8Array';
  return f.type === 'u64' ? 'bigint[]' : 'number[]';
}

const WRITE = { u8: 'writeUInt8', u16: 'writeUInt16LE', u32: 'writeUInt32LE', u64: 'writeBigUInt64LE' } as const;
const READ = { u8: 'readUInt8', u16: 'readUInt16LE', u32: 'readUInt32LE', u64: 'readBigUInt64LE' } as const;

function emitStruct(s: Struct): string[] {
  const T = pascal(s.name);
  const visible = s.fields.filter((f) => !f.name.startsWith('_'));
  const out: string[] = [];
  out.push(`/** struct ${s.name} (${s.size} bytes). */`, `export interface ${T} {`);
  for (const f of visible) out.push(`  ${camel(f.name)}: ${tsType(f)};`);
  out.push('}', `export const ${T}Size = ${s.size};`, `export const ${T}Offsets = {`);
  for (const f of s.fields) out.push(`  ${camel(f.name)}: ${f.offset},`);
  out.push('} as const;', '');
  out.push(`/** Write v at buf[off..off+${s.size}). Padding is written as zeroes. */`);
  out.push(`export function encode${T}(v: ${T}, buf: Buffer, off = 0): void {`);
  for (const f of s.fields) {
    const at = `off + ${f.offset}`;
    const n = camel(f.name);
    if (f.name.startsWith('_')) out.push(`  buf.fill(0, ${at}, ${at} + ${SIZES[f.type] * Math.max(f.count, 1)});`);
    else if (f.count === 0) out.push(`  buf.${WRITE[f.type]}(v.${n}, ${at});`);
    else if (f.type === 'u8') {
      out.push(`  if (v.${n}.length !== ${f.count}) throw new RangeError('${s.name}.${f.name}: ${f.count} bytes expected');`);
      out.push(`  buf.set(v.${n}, ${at});`);
    } else {
      out.push(`  if (v.${n}.length > ${f.count}) throw new RangeError('${s.name}.${f.name}: at most ${f.count} elements');`);
      out.push(`  for (let i = 0; i < ${f.count}; i++) buf.${WRITE[f.type]}(v.${n}[i] ?? ${f.type === 'u64' ? '0n' : '0'}, ${at} + i * ${SIZES[f.type]});`);
    }
  }
  out.push('}', '');
  out.push(`export function decode${T}(buf: Buffer, off = 0): ${T} {`, '  return {');
  for (const f of visible) {
    const at = `off + ${f.offset}`;
    const n = camel(f.name);
    if (f.count === 0) out.push(`    ${n}: buf.${READ[f.type]}(${at}),`);
    else if (f.type === 'u8') out.push(`    ${n}: new Uint8Array(buf.subarray(${at}, ${at} + ${f.count})),`);
    else out.push(`    ${n}: Array.from({ length: ${f.count} }, (_, i) => buf.${READ[f.type]}(${at} + i * ${SIZES[f.type]})),`);
  }
  out.push('  };', '}', '');
  return out;
}

function emitEnum(e: Enum): string[] {
  const T = pascal(e.name);
  const prefix = commonPrefix(e.members.map((m) => m.name));
  const out = [`/** enum ${e.name}. */`, `export const ${T} = {`];
  for (const m of e.members) out.push(`  ${m.name.slice(prefix.length)}: ${m.value},`);
  out.push('} as const;', `export type ${T}Name = keyof typeof ${T};`, '');
  return out;
}

/** The generated TypeScript module for a parsed header. */
export function emit(layout: Layout, source: string): string {
  const out = [
    `// Generated by tools/gen-bpf-layout.ts from ${source}. Do not edit: change the header and run`,
    '// `node dist/tools/gen-bpf-layout.js`. Integers are little-endian (host order on supported hosts).',
    '',
  ];
  for (const d of layout.defines) out.push(`export const ${d.name} = ${d.value};`);
  out.push('');
  for (const e of layout.enums) out.push(...emitEnum(e));
  for (const s of layout.structs) out.push(...emitStruct(s));
  return out.join('\n').replace(/\n+$/, '\n');
}

function main(): void {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const header = 'bpf/routed_maps.h';
  const target = join(root, 'src/fib/bpf/layout.generated.ts');
  const text = emit(parseHeader(readFileSync(join(root, header), 'utf8')), header);
  if (process.argv.includes('--check')) {
    let old = '';
    try {
      old = readFileSync(target, 'utf8');
    } catch {
      // missing counts as stale
    }
    if (old !== text) {
      console.error(`gen-bpf-layout: ${target} is stale; run node dist/tools/gen-bpf-layout.js and commit it`);
      process.exit(1);
    }
    console.log('gen-bpf-layout: layout.generated.ts is up to date');
    return;
  }
  writeFileSync(target, text);
  console.log(`gen-bpf-layout: wrote ${target}`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) main();
