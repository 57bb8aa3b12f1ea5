#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Writes small x86-64 ELF files whose dynamic segment lies into
tests/fuzz/regressions/elf/ (fuzz_elf analyses an input starting with \\177ELF as it
is).  Each has no section headers, so PT_DYNAMIC is all the reader has: its
symbol table, string table and GNU hash / DT_HASH counts, its relocations and a
PT_NOTE stapsdt note.  The first is sound (PySys_Audit is found, its "code" is a
ret: analysed, no route); the others lie in one field each.

    python3 tests/fuzz/dynview_inputs.py [DIR]
"""
import os
import struct
import sys

PT_LOAD, PT_DYNAMIC, PT_NOTE = 1, 2, 4
DT = dict(NULL=0, HASH=4, STRTAB=5, SYMTAB=6, RELA=7, RELASZ=8, RELAENT=9, STRSZ=10,
          SYMENT=11, RELRSZ=35, RELR=36, GNU_HASH=0x6ffffef5)


def build(lie=None):
    strtab = b"\0PySys_Audit\0Py_GetVersion\0sys.addaudithook\0python\0"
    nsym = 3
    code = b"\xc3" * 16 + b"\x90" * 16
    phnum = 3
    o_ph = 64
    o_dyn = o_ph + 56 * phnum
    dyn_tags = ["GNU_HASH", "SYMTAB", "STRTAB", "STRSZ", "SYMENT", "RELA", "RELASZ",
                "RELAENT", "RELR", "RELRSZ"]
    o_hash = o_dyn + 16 * (len(dyn_tags) + 1)
    hash_ = struct.pack("<IIII", 1, 1, 1, 6) + struct.pack("<Q", ~0 & (2**64 - 1)) + \
        struct.pack("<I", 1) + struct.pack("<II", 0x1234 & ~1, 0x5678 | 1)
    o_sym = (o_hash + len(hash_) + 7) & ~7
    o_str = o_sym + 24 * nsym
    o_note = (o_str + len(strtab) + 3) & ~3
    desc = struct.pack("<QQQ", 0, 0, 0) + b"python\0audit\0-8@%rbx 8@%r15\0"
    note = struct.pack("<III", 8, len(desc), 3) + b"stapsdt\0" + desc + \
        b"\0" * (-len(desc) % 4)
    o_rela = (o_note + len(note) + 7) & ~7
    rela = struct.pack("<QQq", 0x40, 8, 0x123)  # R_X86_64_RELATIVE
    o_relr = o_rela + len(rela)
    relr = struct.pack("<QQ", 0x40, 0xffffffffffffffff)
    o_code = (o_relr + len(relr) + 15) & ~15
    size = o_code + len(code)
    b = bytearray(size)
    # ELF header: ET_DYN, x86-64, no section headers
    b[0:16] = b"\x7fELF\x02\x01\x01" + b"\0" * 9
    struct.pack_into("<HHIQQQIHHHHHH", b, 16, 3, 62, 1, o_code, o_ph, 0, 0, 64, 56, phnum,
                     64, 0, 0)
    ph = [(PT_LOAD, 5, 0, 0, size, size), (PT_DYNAMIC, 6, o_dyn, o_dyn, 16 * 11, 16 * 11),
          (PT_NOTE, 4, o_note, o_note, len(note), len(note))]
    for i, (t, fl, off, va, fsz, msz) in enumerate(ph):
        struct.pack_into("<IIQQQQQQ", b, o_ph + 56 * i, t, fl, off, va, va, fsz, msz, 8)
    vals = dict(GNU_HASH=o_hash, SYMTAB=o_sym, STRTAB=o_str, STRSZ=len(strtab), SYMENT=24,
                RELA=o_rela, RELASZ=len(rela), RELAENT=24, RELR=o_relr, RELRSZ=len(relr))
    if lie and lie[0] == "dyn":
        vals[lie[1]] = lie[2]
    tags = dyn_tags[:]
    if lie and lie[0] == "tag":  # one tag becomes another
        tags[tags.index(lie[1])] = lie[2]
        vals[lie[2]] = vals[lie[1]]
    for i, t in enumerate(tags):
        struct.pack_into("<qQ", b, o_dyn + 16 * i, DT[t], vals[t])
    b[o_hash:o_hash + len(hash_)] = hash_
    # symbols: null, PySys_Audit and Py_GetVersion (FUNC GLOBAL, in the code)
    struct.pack_into("<IBBHQQ", b, o_sym + 24, 1, 0x12, 0, 1, o_code, 16)
    struct.pack_into("<IBBHQQ", b, o_sym + 48, 13, 0x12, 0, 1, o_code + 16, 16)
    b[o_str:o_str + len(strtab)] = strtab
    b[o_note:o_note + len(note)] = note
    struct.pack_into("<Q", b, o_note + 20, o_code + 16)  # the note's pc
    b[o_rela:o_rela + len(rela)] = rela
    b[o_relr:o_relr + len(relr)] = relr
    b[o_code:o_code + len(code)] = code
    if lie and lie[0] == "at":
        at = dict(hash=o_hash, chain=o_hash + 28, note=o_note, ph=o_ph)[lie[1]] + lie[2]
        struct.pack_into("<" + lie[3], b, at, lie[4])
    if lie and lie[0] == "tag" and lie[2] == "HASH":  # DT_HASH: nbucket, nchain
        struct.pack_into("<II", b, o_hash, 1, 0xffffffff)
    if lie and lie[0] == "shdrs":
        struct.pack_into("<QHHH", b, 0x28, size + 4096, 0, 0, 0)
        struct.pack_into("<HH", b, 0x3a, 64, 5)
    return bytes(b)


CASES = {
    "dyn-sound": None,
    "dyn-gnu-nbuckets-huge": ("at", "hash", 0, "I", 0xffffffff),
    "dyn-gnu-symoffset-huge": ("at", "hash", 4, "I", 0xffffffff),
    "dyn-gnu-bloom-huge": ("at", "hash", 8, "I", 0xffffffff),
    "dyn-gnu-bucket-huge": ("at", "hash", 24, "I", 0xfffffff0),
    "dyn-gnu-chain-endless": ("at", "chain", 4, "I", 0x5678),
    "dyn-symtab-nowhere": ("dyn", "SYMTAB", 0xdead00000000),
    "dyn-strtab-nowhere": ("dyn", "STRTAB", 0xffffffffffffff00),
    "dyn-strsz-huge": ("dyn", "STRSZ", 0x7fffffffffffffff),
    "dyn-syment-16": ("dyn", "SYMENT", 16),
    "dyn-hash-nchain-huge": ("tag", "GNU_HASH", "HASH"),
    "dyn-rela-huge": ("dyn", "RELASZ", 0x7fffffffffffffff),
    "dyn-relr-whole-file": ("dyn", "RELRSZ", 0x7ffffffffffffff8),
    "dyn-relr-at-0": ("dyn", "RELR", 0),
    "dyn-phdr-dynamic-huge": ("at", "ph", 56 + 0x20, "Q", 0x7fffffffffffffff),
    "dyn-phdr-dynamic-nowhere": ("at", "ph", 56 + 0x10, "Q", 0xfffffffffffff000),
    "dyn-note-descsz-huge": ("at", "note", 4, "I", 0xffffffff),
    "dyn-note-namesz-huge": ("at", "note", 0, "I", 0xfffffff0),
    "dyn-shdrs-past-end": ("shdrs",),
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "regressions", "elf")
    os.makedirs(out, exist_ok=True)
    for name, lie in CASES.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(build(lie))


if __name__ == "__main__":
    main()
