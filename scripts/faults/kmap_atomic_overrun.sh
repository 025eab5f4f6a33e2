#!/usr/bin/env bash
# Fault: kmap_atomic's slot index strides past FIX_KMAP_END (one slot too
# many per CPU) and the range check is gone, as in the BiscuitOS port.
set -eu
sed -i 's/(uint32_t)type + KM_TYPE_NR \* smp_processor_id()/(uint32_t)type + (KM_TYPE_NR + 1) * smp_processor_id()/; s/if (idx > FIX_KMAP_END(l))/if (idx > l->end_of_fixed)/' "$1/fixmap.c"
grep -q '(KM_TYPE_NR + 1) \* smp_processor_id()' "$1/fixmap.c"
grep -q 'if (idx > l->end_of_fixed)' "$1/fixmap.c"
