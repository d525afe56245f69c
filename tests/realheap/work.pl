# tests/realheap.sh's perl workload: builds and discards strings of 0.5..4 kB and keeps the
# latest in a hash of 97 keys (2.2 M mallocs and reallocs of 0.5..8 kB, 7 GB). Small blocks are few
# by design: pprof.h's estimate of a count has a variance of about rate/size per block, so
# the 5% bound at the default rate needs bytes (tests/realheap.sh prints the sd to expect).
my $b = "abcdefghij" x 600;
my ($t, %h) = (0);
my @k = map { "k$_" } 0 .. 96;
for my $i (1 .. ($ARGV[0] // 1000000)) {
    my $n = 500 + ($i * 7919) % 3500;
    my $s = substr($b, $i % 7, $n);
    $s .= $s;
    $h{$k[$i % 97]} = $s;
    $t += length $s;
}
print "$t ", scalar(keys %h), "\n";
