# tests/realheap.sh's python3 workload: slices and concatenations of 0.5..4 kB strings kept
# in a dict of 97 keys, and now and then a list of up to 1000 references (~2.4 M mallocs
# above pymalloc's 512 bytes, 8 GB; smaller objects come from pymalloc's mmap'd arenas, which
# no malloc profiler sees).
import sys
b = "abcdefghij" * 600
keys = ["k%d" % i for i in range(97)]
d = {}
t = 0
for i in range(1, int(sys.argv[1]) + 1 if len(sys.argv) > 1 else 1200001):
    n = 500 + (i * 7919) % 3500
    s = b[i % 7:i % 7 + n]
    s = s + s
    d[keys[i % 97]] = s
    if i % 1000 == 0:
        t += len([s] * (n // 4))
    t += len(s)
print(t, len(d))
