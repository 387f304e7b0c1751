#!/usr/bin/env python3
"""Keeps one GPU architecture's kernels in a CUDA library, so that it is small enough to carry.

    prune_fatbin.py IN.so OUT.so --arch 90

A CUDA library holds its kernels in the ELF section .nv_fatbin: a run of fat binaries (magic 0xBA55ED50,
a 16-byte header with its size), each a run of entries (a header whose size is at byte 4 and the padded
payload size at byte 8, the data size at 16, the SM version at 28, flags at 40, the uncompressed size at
56, then the payload: a cubin or PTX, compressed when flag 0x8000 is set). The CUDA runtime picks the
entry of the device's architecture and reads only that payload. This script zeroes the payload of every
entry of another architecture and marks it uncompressed, keeping every offset as it was, so the library
loads as before on a device of that architecture and compresses to a fraction (zeros). It refuses a library it
cannot parse completely, and one without any entry of the architecture.
"""
import argparse
import struct
import sys

FATBIN_MAGIC = 0xBA55ED50
# Entry flag: the payload is compressed (CUDA 12.x+ fatbinaries compress their cubins).
COMPRESSED = 0x8000


def fatbin_section(elf: bytes) -> tuple[int, int]:
    """Offset and size of .nv_fatbin in a 64-bit little-endian ELF."""
    if elf[:4] != b"\x7fELF" or elf[4] != 2 or elf[5] != 1:
        raise ValueError("not a 64-bit little-endian ELF file")
    shoff = struct.unpack_from("<Q", elf, 0x28)[0]
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", elf, 0x3A)
    strtab_off = struct.unpack_from("<Q", elf, shoff + shstrndx * shentsize + 0x18)[0]
    for i in range(shnum):
        base = shoff + i * shentsize
        name_off = struct.unpack_from("<I", elf, base)[0]
        end = elf.index(b"\0", strtab_off + name_off)
        if elf[strtab_off + name_off : end] == b".nv_fatbin":
            offset, size = struct.unpack_from("<QQ", elf, base + 0x18)
            return offset, size
    raise ValueError("no .nv_fatbin section")


def prune(elf: bytearray, arch: int) -> dict[int, int]:
    """Zeroes the payloads of entries of other architectures; returns kept/zeroed bytes by SM version."""
    offset, size = fatbin_section(elf)
    pos, end_of_section = offset, offset + size
    by_arch: dict[int, int] = {}
    while pos < end_of_section:
        magic, _version, header_size, fat_size = struct.unpack_from("<IHHQ", elf, pos)
        if magic != FATBIN_MAGIC:
            # Fat binaries are 8-byte aligned; padding between them is zero.
            if elf[pos : pos + 8] == b"\0" * 8:
                pos += 8
                continue
            raise ValueError(f"bad fat binary magic {magic:#x} at {pos:#x}")
        entry, end = pos + header_size, pos + header_size + fat_size
        while entry < end:
            _kind, _ev, entry_header, payload = struct.unpack_from("<HHIQ", elf, entry)
            sm = struct.unpack_from("<I", elf, entry + 28)[0]
            start = entry + entry_header
            by_arch[sm] = by_arch.get(sm, 0) + payload
            if sm != arch:
                elf[start : start + payload] = bytes(payload)
                # Zeros are no longer compressed data: clear the compression flag, say the data is its own size.
                flags = struct.unpack_from("<Q", elf, entry + 40)[0]
                struct.pack_into("<Q", elf, entry + 40, flags & ~COMPRESSED)
                struct.pack_into("<I", elf, entry + 16, payload)
                struct.pack_into("<Q", elf, entry + 56, 0)
            entry = start + payload
        if entry != end:
            raise ValueError(f"entries overrun their fat binary at {pos:#x}")
        pos = end
    if arch not in by_arch:
        raise ValueError(f"no sm_{arch} entry; the library has {sorted(by_arch)}")
    return by_arch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source")
    parser.add_argument("target")
    parser.add_argument("--arch", type=int, required=True, help="SM version to keep, e.g. 90 for H100/H200")
    args = parser.parse_args()
    elf = bytearray(open(args.source, "rb").read())
    by_arch = prune(elf, args.arch)
    open(args.target, "wb").write(elf)
    kept = by_arch[args.arch]
    dropped = sum(by_arch.values()) - kept
    print(f"kept sm_{args.arch}: {kept / 1e6:.1f} MB of kernels; zeroed {dropped / 1e6:.1f} MB of "
          f"{', '.join(f'sm_{a}' for a in sorted(by_arch) if a != args.arch)}", file=sys.stderr)


if __name__ == "__main__":
    main()
