#!/usr/bin/env python3
"""Finds import cycles between the files (modules) of a Rust crate (default: tim-server).

It reads every `use crate::…`, `use super::…`, `use self::…` and `use child::…` of each file, and
every `crate::…`, `super::…` and `child::…` path in its code (comments, strings and `#[cfg(test)]`
items left out: tests may reach anything), and resolves each path to the file that defines what
it names: through a module's `pub use` re-exports, so that importing `crate::rest::RestConfig`
depends on the file that defines it, not on `rest/mod.rs` (which depends on that file in turn).

A cycle is a set of files that reach each other. One kind is allowed: a folder module's `mod.rs`
and its own submodules, where the only way back up is a submodule's import of its folder's
`mod.rs` (`cluster/kicks.rs` using `super::Cluster`, whose `mod.rs` calls `kicks::send`): the
submodules are parts of that one module. Every other cycle fails, and so does one of those that
reaches a file outside the folder, or that stays a cycle without the imports up to `mod.rs`.

Prints the files' layers (layer 0 imports nothing of the crate; each file sits one above the
highest file it imports, not counting a submodule's import of its own `mod.rs`) and exits 1,
listing the cycles with the line of each import in them, if there is one.

    python3 scripts/check-import-cycles.py [CRATE_SRC_DIR] [--cfg-test] [--dot=GRAPH]

With `--dot=GRAPH`, the imports are instead those of a graph that `cargo-modules` (which
resolves names as rust-analyzer does) made of the same crate, as a second opinion:

    cargo modules dependencies -p tim-server --lib --no-externs --no-sysroot > GRAPH

(its own `--acyclic` looks for cycles between items, where a type and its methods already make
one, so it cannot answer this question by itself).
"""

import re
import sys
from collections import defaultdict
from pathlib import Path

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def strip(text):
    """The code without comments and string or char literals, each replaced by spaces so that
    line numbers stay."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == "r" and re.match(r'r#*"', text[i:]) and not re.match(r"\w", text[i - 1 : i]):
            hashes = re.match(r"r(#*)\"", text[i:]).group(1)
            end = text.find('"' + hashes, i + 2 + len(hashes))
            j = n if end < 0 else end + 1 + len(hashes)
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(re.sub(r"[^\n]", " ", text[i : j + 1]))
            i = j + 1
        elif c == "'":
            m = re.match(r"'(\\.[^']*|[^\\'])'", text[i:])
            if m:  # a char literal, not a lifetime
                out.append(" " * len(m.group(0)))
                i += len(m.group(0))
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def item_end(code, start):
    """Where the item starting at `start` ends: its `;`, or the brace closing its body."""
    depth = 0
    for j in range(start, len(code)):
        if code[j] == "{":
            depth += 1
        elif code[j] == "}":
            depth -= 1
            if depth == 0:
                return j + 1
        elif code[j] == ";" and depth == 0:
            return j + 1
    return len(code)


def drop_test_items(code):
    """Blanks every `#[cfg(test)]` item; answers the code and the test-only child modules."""
    test_mods = set()
    while True:
        m = re.search(r"#\[cfg\(test\)\]", code)
        if not m:
            return code, test_mods
        end = item_end(code, m.end())
        item = code[m.start() : end]
        decl = re.search(rf"\bmod\s+({IDENT})\s*;", item)
        if decl:
            test_mods.add(decl.group(1))
        code = code[: m.start()] + re.sub(r"[^\n]", " ", item) + code[end:]


def expand_use(tree):
    """`a::{b, c::{d, self}}` → [[a, b], [a, c, d], [a, c]]."""
    tree = re.sub(rf"\s+as\s+{IDENT}", "", tree)
    tree = re.sub(r"\s+", "", tree)

    def parse(s):
        # Split at top-level commas.
        parts, depth, cur = [], 0, ""
        for ch in s:
            if ch == "," and depth == 0:
                parts.append(cur)
                cur = ""
                continue
            depth += ch == "{"
            depth -= ch == "}"
            cur += ch
        parts.append(cur)
        paths = []
        for part in filter(None, parts):
            if "{" in part:
                prefix, inner = part.split("{", 1)
                prefix = [p for p in prefix.split("::") if p]
                for sub in parse(inner[: inner.rindex("}")]):
                    paths.append(prefix + ([] if sub == ["self"] else sub))
            else:
                paths.append([p for p in part.split("::") if p])
        return paths

    return parse(tree)


class Crate:
    def __init__(self, src, cfg_test):
        self.src = src
        self.cfg_test = cfg_test
        self.files = {}  # module path (tuple) -> Path
        self.children = defaultdict(set)  # module path -> child names
        self.code = {}
        self.load((), src / "lib.rs")
        # Module -> {name it re-exports: the path it names}.
        self.reexports = {module: {} for module in self.files}
        for module, code in self.code.items():
            for m in re.finditer(r"(?<![\w:])pub(?:\([^)]*\))?\s+use\s+([^;]+);", code):
                for path in expand_use(m.group(1)):
                    if path and path[-1] != "*":
                        self.reexports[module][path[-1]] = path

    def load(self, module, path):
        self.files[module] = path
        code = strip(path.read_text())
        test_mods = set()
        if not self.cfg_test:
            code, test_mods = drop_test_items(code)
        self.code[module] = code
        folder = path.parent if path.name in ("lib.rs", "mod.rs") else path.with_suffix("")
        for m in re.finditer(rf"\bmod\s+({IDENT})\s*;", code):
            name = m.group(1)
            if name in test_mods:
                continue
            for child in (folder / f"{name}.rs", folder / name / "mod.rs"):
                if child.exists():
                    self.children[module].add(name)
                    self.load(module + (name,), child)
                    break

    def resolve(self, module, segments, depth=0):
        """The module that defines what a path names, or None (another crate, a prelude name, a
        local item)."""
        if not segments:
            return None
        head, rest = segments[0], segments[1:]
        if head == "crate":
            base = ()
        elif head in ("super", "self"):
            base = module
            while segments and segments[0] in ("super", "self"):
                if segments[0] == "super":
                    base = base[:-1]
                segments = segments[1:]
            rest = segments
        elif head in self.children[module]:
            base, rest = module, segments
        else:
            return None
        target = base
        for i, seg in enumerate(rest):
            if target + (seg,) in self.files:
                target = target + (seg,)
                continue
            # An item: where the module got it from, if it re-exports it.
            path = self.reexports.get(target, {}).get(seg)
            if path and depth < 10:
                origin = self.resolve(target, path + rest[i + 1 :], depth + 1)
                if origin is not None:
                    return origin
            break
        return target

    def imports(self, module):
        """(target module, line) for each path the module's file names."""
        code = self.code[module]
        found = []
        line_of = lambda pos: code.count("\n", 0, pos) + 1
        spans = []
        for m in re.finditer(r"(?<![\w:])use\s+([^;]+);", code):
            spans.append((m.start(), m.end()))
            for path in expand_use(m.group(1)):
                target = self.resolve(module, path)
                if target is not None:
                    found.append((target, line_of(m.start())))
        heads = "|".join(["crate", "super", "self"] + sorted(self.children[module]))
        for m in re.finditer(rf"(?<![\w:])((?:{heads})(?:::{IDENT})+)", code):
            if any(a <= m.start() < b for a, b in spans):
                continue
            target = self.resolve(module, m.group(1).split("::"))
            if target is not None:
                found.append((target, line_of(m.start())))
        return found


def name(module):
    return "::".join(module) or "crate"


def cycles(nodes, edges):
    """Strongly connected components of more than one node (Tarjan)."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return out


def layers(nodes, edges):
    """Layer 0 imports nothing of the graph; each other node sits one above its highest import."""
    level = {}

    def of(v, seen=()):
        if v not in level:
            level[v] = 1 + max((of(w, seen + (v,)) for w in edges.get(v, ()) if w not in seen), default=-1)
        return level[v]

    for v in nodes:
        of(v)
    by_level = defaultdict(list)
    for v, lv in level.items():
        by_level[lv].append(v)
    return [sorted(by_level[lv]) for lv in sorted(by_level)]


def dot_uses(path, modules):
    """The module-to-module edges of a `cargo modules dependencies` graph (DOT): each "uses"
    edge between two items, from the module of one to the module of the other."""

    def module_of(item):
        segments = tuple(item.split("::")[1:])
        while segments not in modules:
            segments = segments[:-1]
        return segments

    raw = defaultdict(list)
    for line in Path(path).read_text().splitlines():
        m = re.match(r'\s*"([^"]+)" -> "([^"]+)" \[label="uses"', line)
        if m:
            a, b = module_of(m.group(1)), module_of(m.group(2))
            if a != b:
                raw[(a, b)]  # no line: the graph does not say where
    return raw


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    dot = next((a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--dot=")), None)
    src = Path(args[0]) if args else Path(__file__).resolve().parent.parent / "rust/server/src"
    crate = Crate(src, "--cfg-test" in sys.argv)
    root = src.resolve().parent

    # Every import, with where it is.
    raw = defaultdict(list)  # (from, to) -> [line]
    for module in crate.files:
        for target, line in crate.imports(module):
            if target != module:
                raw[(module, target)].append(line)
    if dot:
        # Or rust-analyzer's view of the same code, through cargo-modules.
        raw = dot_uses(dot, set(crate.files))

    def where(a, b):
        path = crate.files[a].resolve().relative_to(root)
        lines = sorted(set(raw[(a, b)]))[:5]
        return f"{path}:{','.join(map(str, lines))}" if lines else str(path)

    edges = defaultdict(set)
    for a, b in raw:
        edges[a].add(b)
    # A submodule's imports of its own folder's mod.rs (not of the crate root).
    up = {(a, b) for a, b in raw if len(a) > 1 and b == a[:-1]}
    down = {a: {b for b in bs if (a, b) not in up} for a, bs in edges.items()}

    failed = []
    for comp in cycles(crate.files, edges):
        top = min(comp, key=len)
        one_folder = top != () and all(m[: len(top)] == top for m in comp)
        inner = {a: down.get(a, set()) & set(comp) for a in comp}
        if not one_folder or cycles(comp, inner):
            failed.append(comp)
    for comp in failed:
        print("CYCLE: " + " ".join(name(m) for m in comp))
        for a in comp:
            for b in sorted(edges[a] & set(comp)):
                print(f"  {name(a)} -> {name(b)}  ({where(a, b)})")
    if failed:
        sys.exit(1)
    print(f"no cycle between the {len(crate.files)} files; layers, bottom first:")
    for i, layer in enumerate(layers(crate.files, down)):
        print(f"  {i}: {' '.join(name(m) for m in layer)}")


if __name__ == "__main__":
    main()
