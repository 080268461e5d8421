// The few facts of an ELF shared library that decide whether Android's loader accepts it:
// its CPU, DT_NEEDED and DT_SONAME, and the alignment of its loadable segments. Little-endian
// ELF32 and ELF64 only (every Android ABI).

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const DT_NULL = 0;
const DT_NEEDED = 1;
const DT_STRTAB = 5;
const DT_SONAME = 14;

/**
 * @param {Buffer} buf the whole file
 * @returns {{machine: number, needed: string[], soname: string | null, loadAlignments: number[]}}
 */
export function readElf(buf) {
  if (buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46) throw new Error('not an ELF file');
  const is64 = buf[4] === 2;
  if (buf[5] !== 1) throw new Error('not little-endian');
  const word = (off) => (is64 ? Number(buf.readBigUInt64LE(off)) : buf.readUInt32LE(off));
  const machine = buf.readUInt16LE(18);
  const phoff = word(is64 ? 32 : 28);
  const phentsize = buf.readUInt16LE(is64 ? 54 : 42);
  const phnum = buf.readUInt16LE(is64 ? 56 : 44);

  const segments = [];
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    segments.push({
      type: buf.readUInt32LE(p),
      offset: word(p + (is64 ? 8 : 4)),
      vaddr: word(p + (is64 ? 16 : 8)),
      filesz: word(p + (is64 ? 32 : 16)),
      align: word(p + (is64 ? 48 : 28)),
    });
  }
  const loads = segments.filter((s) => s.type === PT_LOAD);
  // Dynamic entries hold virtual addresses: map them to file offsets through the PT_LOADs.
  const fileOffset = (vaddr) => {
    const s = loads.find((l) => vaddr >= l.vaddr && vaddr < l.vaddr + l.filesz);
    if (s === undefined) throw new Error(`address ${vaddr} is in no loadable segment`);
    return vaddr - s.vaddr + s.offset;
  };

  const dynamic = segments.find((s) => s.type === PT_DYNAMIC);
  const entries = [];
  if (dynamic !== undefined) {
    const size = is64 ? 16 : 8;
    for (let off = dynamic.offset; off + size <= dynamic.offset + dynamic.filesz; off += size) {
      const tag = word(off);
      if (tag === DT_NULL) break;
      entries.push([tag, word(off + size / 2)]);
    }
  }
  const strtab = entries.find(([tag]) => tag === DT_STRTAB);
  const string = (index) => {
    const start = fileOffset(strtab[1]) + index;
    return buf.toString('latin1', start, buf.indexOf(0, start));
  };
  const soname = entries.find(([tag]) => tag === DT_SONAME);
  return {
    machine,
    needed: entries.filter(([tag]) => tag === DT_NEEDED).map(([, index]) => string(index)),
    soname: soname === undefined ? null : string(soname[1]),
    loadAlignments: loads.map((s) => s.align),
  };
}
