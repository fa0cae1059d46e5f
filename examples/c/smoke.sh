#!/usr/bin/env bash
# Smoke test of the C example: builds it, pipes a short hand-written conversation into it and checks a few
# answers. Also shows that each twin differs from the correct binary where its one-line bug says it should.
set -euo pipefail
cd "$(dirname "$0")"
make -s all

ram() { # start last offset [readonly]
  printf '{"start":"%s","last":"%s","region":"pc.ram","kind":"ram","offset":"%s","readonly":%s,"nonvolatile":false,"romd":true,"dirty":0,"unmergeable":false,"priority":0}' \
    "$1" "$2" "$3" "${4:-false}"
}
A=$(ram 0x0 0x7ffff 0x0)
B=$(ram 0x80000 0xfffff 0x80000)
AB=$(ram 0x0 0xfffff 0x0)
RO=$(ram 0x80000 0xbffff 0x80000 true)
HI=$(ram 0xc0000 0xfffff 0xc0000)

requests() {
  cat <<JSON
{"id":1,"call":"reset"}
{"id":2,"call":"listener_create","listener":1,"host_page_size":"0x1000","iommu_min_page":"0x1000","unmap_bisects":false,"unmap_all":true,"entry_limit":65535,"protected":[]}
{"id":3,"call":"transaction","listener":1,"events":[{"event":"begin"},{"event":"region_add","section":$A},{"event":"region_add","section":$B},{"event":"commit"}]}
{"id":4,"call":"transaction","listener":1,"events":[{"event":"begin"},{"event":"region_del","section":$A},{"event":"region_del","section":$B},{"event":"region_add","section":$AB},{"event":"commit"}]}
{"id":5,"call":"transaction","listener":1,"events":[{"event":"begin"},{"event":"region_del","section":$AB},{"event":"region_add","section":$A},{"event":"region_add","section":$RO},{"event":"region_add","section":$HI},{"event":"commit"}]}
{"id":6,"call":"domain_alloc","domain":1,"format":"x86-64","pgsize_bitmap":"0x40201000","ias":48}
{"id":7,"call":"map_pages","domain":1,"iova":"0x200000","paddr":"0x40000000","pgsize":"0x200000","pgcount":"0x1","prot":"rw"}
{"id":8,"call":"iova_to_phys","domain":1,"iova":"0x201000"}
{"id":9,"call":"unmap_pages","domain":1,"iova":"0x201000","pgsize":"0x1000","pgcount":"0x1"}
{"id":10,"call":"iotlb_sync","domain":1,"gather":{"start":"0x200000","last":"0x3fffff"}}
{"id":11,"call":"iova_to_phys","domain":1,"iova":"0x201000"}
{"id":12,"call":"map_pages","domain":1,"iova":"0x0","paddr":"0x0","pgsize":"0x1000","pgcount":"0x2","prot":"r"}
{"id":13,"call":"map_pages","domain":1,"iova":"0x1000","paddr":"0x1000","pgsize":"0x1000","pgcount":"0x1","prot":"r"}
{"id":14,"call":"domain_free","domain":1}
{"id":15,"call":"listener_destroy","listener":1}
{"id":16,"call":"map_pages","domain":1,
{"id":17,"call":"shutdown"}
JSON
}

run() { requests | "./build/$1"; }

out=$(run dmaverify-example)
printf '%s\n' "$out"

fail=0
expect() { # pattern description
  if grep -qF -- "$1" <<<"$out"; then echo "ok   $2"; else echo "FAIL $2: no line with $1"; fail=1; fi
}
expect '"protocol":"dmaverify-impl","version":1' 'hello first'
expect '{"id":3,"calls":[{"op":"map","iova":"0x0","size":"0x80000","region":"pc.ram","offset":"0x0","writable":true},{"op":"map","iova":"0x80000","size":"0x80000","region":"pc.ram","offset":"0x80000","writable":true}],"refused":false}' 'A and B are mapped'
expect '{"id":4,"calls":[],"refused":false}' "A + B -> A' issues no ioctl"
expect '{"id":5,"calls":[{"op":"unmap","iova":"0x80000","size":"0x80000"},{"op":"map","iova":"0x80000","size":"0x40000","region":"pc.ram","offset":"0x80000","writable":false},{"op":"map","iova":"0xc0000","size":"0x40000","region":"pc.ram","offset":"0xc0000","writable":true}],"refused":false}' 'a partly read-only B goes whole, A stays'
expect '{"id":7,"errno":0,"mapped":"0x200000"}' 'a 2M leaf is mapped'
expect '{"id":8,"phys":"0x40001000","prot":"rw"}' 'iova_to_phys inside the 2M leaf'
expect '{"id":9,"unmapped":"0x200000","gather":{"start":"0x200000","last":"0x3fffff"}}' 'a 4K unmap takes the whole 2M leaf and gathers it'
expect '{"id":11,"phys":null}' 'the leaf is gone'
expect '{"id":13,"errno":17,"mapped":"0x0"}' 'a map over a live leaf is EEXIST'
expect '{"id":16,"error":' 'a malformed line gets an error answer'
expect '{"id":17}' 'shutdown is answered'

twin=$(run dmaverify-example-twin)
if grep -qF '{"id":9,"unmapped":"0x200000","gather":{"start":"0x201000","last":"0x201fff"}}' <<<"$twin"; then
  echo "ok   twin gathers only the requested 4K (the CVE-2026-31735 bug)"
else echo "FAIL twin: unexpected unmap answer"; fail=1; fi
twinl=$(run dmaverify-example-twin-listener)
if grep -qF '{"id":5,"calls":[{"op":"map","iova":"0xc0000"' <<<"$twinl" || grep -qF '{"id":5,"calls":[],' <<<"$twinl"; then
  echo "ok   twin-listener keeps the partly changed B: $(grep -F '"id":5' <<<"$twinl")"
else echo "FAIL twin-listener: unexpected plan: $(grep -F '"id":5' <<<"$twinl")"; fail=1; fi

exit $fail
