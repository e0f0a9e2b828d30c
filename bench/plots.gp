# bench/plots.gp — the scaling curves of a bench/run, as PNG.
#   gnuplot -e "dir='TMPDIR'; outdir='OUTDIR'" bench/plots.gp
# Reads dir/patterns.dat, dir/buyers.dat, dir/items.dat (tab-separated,
# written by bench/run from results.json).
set terminal pngcairo size 900,560 font ",10"
set grid
set key top left
set style data linespoints

# patterns: count, compile s, database MiB, raw decl/s, match decl/s
set output outdir.'/patterns.png'
set title 'Pattern count: scan rate, compile time, database size'
set logscale x
set xlabel 'literal patterns'
set ylabel 'declarations/s'
set y2label 'seconds / MiB'
set ytics nomirror
set y2tics
set logscale y2
plot dir.'/patterns.dat' using 1:4 title 'raw hs\_scan decl/s' lw 2, \
     '' using 1:5 title 'sl\_match\_decl decl/s' lw 2, \
     '' using 1:2 axes x1y2 title 'compile time (s)' dt 2, \
     '' using 1:3 axes x1y2 title 'database (MiB)' dt 3
unset logscale y2

# buyers: n, bytes/buyer, lookup ns, update ns, insert ns
set output outdir.'/buyers.png'
set title 'Tracked buyers: memory and lookup cost'
set xlabel 'tracked buyers'
set ylabel 'resident bytes per buyer'
set y2label 'ns per operation'
set yrange [0:*]
plot dir.'/buyers.dat' using 1:2 title 'bytes per buyer' lw 2, \
     64 title 'target: 64 bytes' dt 2 lc rgb 'red' with lines, \
     '' using 1:3 axes x1y2 title 'lookup (ns)', \
     '' using 1:4 axes x1y2 title 'update (ns)', \
     '' using 1:5 axes x1y2 title 'insert (ns)'

# items: k, core decl/s, ns/decl, ns/item, raw decl/s
set output outdir.'/items.png'
set title 'Items per declaration: core cost'
set xlabel 'items per declaration'
set ylabel 'core declarations/s'
set y2label 'ns'
set logscale y
set yrange [*:*]
plot dir.'/items.dat' using 1:2 title 'core decl/s' lw 2, \
     '' using 1:3 axes x1y2 title 'ns per declaration', \
     '' using 1:4 axes x1y2 title 'ns per item'
