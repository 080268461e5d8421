#!/usr/bin/env python3
"""Stub sources of bionic's public libraries for one architecture and minimum API level.

The NDK's `libc.so`, `libm.so`, `libdl.so` and `liblog.so` are stubs generated from bionic's
symbol maps (bionic/*.map.txt): a shared library that defines every symbol the NDK exposes for
an architecture at an API level, with the maps' version nodes. Linking against them with
`--no-undefined` makes any other import a link error, as an NDK build does, instead of a crash in
the loader on a phone. This script writes, for each library, `lib<name>.s` (one definition per
symbol) and `lib<name>.ver` (its version script); check-android-abi.sh assembles and links them.

    stubs.py ARCH API OUT_DIR      ARCH: arm, arm64, x86, x86_64

Rules, as the NDK's generator (ndkstubgen) applies them:
- A version node named *_PRIVATE or *_PLATFORM, or tagged platform-only, is not part of the NDK;
  nor is a symbol tagged only for `apex` or `llndk`.
- Architecture tags (`# arm x86`) limit a symbol, or a node, to those architectures.
- `introduced=N` and `introduced-ARCH=N`, on a node or a symbol, hide it below API N.
- `var` marks data; everything else is a function.
"""
import pathlib
import re
import sys

ARCHES = {"arm", "arm64", "x86", "x86_64", "riscv64"}
LIBRARIES = ["c", "m", "dl", "log"]
HERE = pathlib.Path(__file__).resolve().parent


def tags_of(comment):
    return comment.split() if comment else []


def visible(tags, arch, api):
    """Whether a node or symbol with these tags exists for `arch` at `api`."""
    arches = [t for t in tags if t in ARCHES]
    if arches and arch not in arches:
        return False
    if "platform-only" in tags:
        return False
    introduced = None
    for tag in tags:
        key, _, value = tag.partition("=")
        if key == "introduced" and introduced is None:
            introduced = value
        elif key == f"introduced-{arch}":
            introduced = value  # the architecture's own level wins
    return introduced is None or not introduced.isdigit() or int(introduced) <= api


def nodes(text):
    """(name, tags, [(symbol, tags)]) for each version node of a map."""
    node_re = re.compile(r"^(\w+)\s*\{\s*(?:#(.*))?$")
    symbol_re = re.compile(r"^([\w.$]+);\s*(?:#(.*))?$")
    current = None
    for raw in text.splitlines():
        line = raw.strip()
        if current is None:
            match = node_re.match(line)
            if match:
                current = (match.group(1), tags_of(match.group(2)), [])
            continue
        if line.startswith("}"):
            yield current
            current = None
            continue
        match = symbol_re.match(line)
        if match and match.group(1) != "global":
            current[2].append((match.group(1), tags_of(match.group(2))))


def public(name, tags):
    return not (name.endswith("_PRIVATE") or name.endswith("_PLATFORM") or "platform-only" in tags)


def platform_only(tags):
    """A symbol tagged `apex` or `llndk` is for the platform's own modules, not apps."""
    return bool({"apex", "llndk"} & set(tags))


def generate(library, arch, api, out):
    text = (HERE / "bionic" / f"lib{library}.map.txt").read_text()
    asm = [".text"]
    version_script = []
    seen = set()
    for name, node_tags, symbols in nodes(text):
        if not public(name, node_tags) or not visible(node_tags, arch, api):
            continue
        kept = []
        for symbol, tags in symbols:
            if symbol in seen or platform_only(tags) or not visible(tags, arch, api):
                continue
            seen.add(symbol)
            kept.append(symbol)
            if "var" in tags:
                asm += [".data", f".globl {symbol}", f".type {symbol}, %object", f"{symbol}:", ".space 8",
                        f".size {symbol}, 8", ".text"]
            else:
                asm += [f".globl {symbol}", f".type {symbol}, %function", f"{symbol}:", ".byte 0"]
        if kept:
            version_script.append(f"{name} {{\n  global:\n" + "".join(f"    {s};\n" for s in kept) + "};")
    version_script[0] = version_script[0][:-2] + "  local:\n    *;\n};"
    (out / f"lib{library}.s").write_text("\n".join(asm) + "\n")
    (out / f"lib{library}.ver").write_text("\n".join(version_script) + "\n")
    return len(seen)


def main():
    arch, api, out = sys.argv[1], int(sys.argv[2]), pathlib.Path(sys.argv[3])
    if arch not in ARCHES:
        sys.exit(f"stubs.py: unknown architecture {arch}")
    out.mkdir(parents=True, exist_ok=True)
    counts = {library: generate(library, arch, api, out) for library in LIBRARIES}
    print(" ".join(f"lib{k}.so:{v}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
