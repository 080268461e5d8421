"""Parses Swift files with tree-sitter's Swift grammar; prints each syntax error, exits 1 if any.

There is no Swift compiler off macOS; this catches what a parser can (a missing brace, a
misspelt keyword, a bad closure signature), not types or names. For hand-written files: the
grammar has gaps on some constructs of UniFFI's generated code.
"""
import sys

import tree_sitter
import tree_sitter_swift

parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_swift.language()))
errors = 0
for path in sys.argv[1:]:
    tree = parser.parse(open(path, "rb").read())
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            row, column = node.start_point
            kind = "missing " + node.type if node.is_missing else "syntax error"
            print(f"{path}:{row + 1}:{column + 1}: {kind}", file=sys.stderr)
            errors += 1
        stack.extend(node.children)
    print(f"{path}: {'ok' if errors == 0 else f'{errors} errors'}", file=sys.stderr)
sys.exit(1 if errors else 0)
