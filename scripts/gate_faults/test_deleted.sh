#!/usr/bin/env bash
# Fault: tests/test_vmalloc.c loses test_invalid_sizes, the only test that
# asks __get_vm_area() for more than VM_MAX_REQUEST.
# expect: ^core/vmalloc_vmlist\.c$ ^coverage
set -eu
f=$1/tests/test_vmalloc.c
grep -q '^static void test_invalid_sizes(void \*\*state)$' "$f"
sed -i '/^static void test_invalid_sizes(void \*\*state)$/,/^}$/d; /^\t\tT(test_invalid_sizes),$/d' "$f"
! grep -q test_invalid_sizes "$f"
