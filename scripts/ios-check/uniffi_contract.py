"""Matches the generated Swift bindings against a built tim-ffi library.

The bindings check, at the app's first call, that the library's UniFFI contract version and the
checksum of each exported function equal the numbers generated into them, and call fatalError
otherwise. This reads those numbers from ios/Generated/tim_ffi.swift and asks the library for its
own (the same exported functions the Swift code calls), so a mismatch fails here, not in an app.

    uniffi_contract.py SWIFT_FILE LIBRARY
"""
import ctypes
import re
import sys

swift_path, library_path = sys.argv[1], sys.argv[2]
swift = open(swift_path).read()
library = ctypes.CDLL(library_path)

expected_version = int(re.search(r"let bindings_contract_version = (\d+)", swift).group(1))
version_fn = library.ffi_tim_ffi_uniffi_contract_version
version_fn.restype = ctypes.c_uint32
problems = []
if version_fn() != expected_version:
    problems.append(f"contract version: bindings {expected_version}, library {version_fn()}")

checksums = re.findall(r"if \((uniffi_tim_ffi_checksum_\w+)\(\) != (\d+)\)", swift)
if not checksums:
    problems.append("no checksums found in the bindings")
for name, expected in checksums:
    fn = getattr(library, name)
    fn.restype = ctypes.c_uint16
    if fn() != int(expected):
        problems.append(f"{name}: bindings {expected}, library {fn()}")

for problem in problems:
    print(f"uniffi_contract: {problem}", file=sys.stderr)
print(f"uniffi_contract: contract version {expected_version} and {len(checksums)} checksums "
      f"{'MISMATCH' if problems else 'match'} {library_path}", file=sys.stderr)
sys.exit(1 if problems else 0)
