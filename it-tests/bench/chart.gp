# Grouped bar chart of peers-bench.sh's results.csv, one panel per unit, log scale (the targets differ by
# orders of magnitude). Called as: gnuplot -e "csv='results.csv'; png='chart.png'; ntargets=N" chart.gp
# The row ranges below follow the order of WORKLOADS in peers-bench.sh: 2 sequential, 4 random, 3 metadata.
set datafile separator ','
set datafile missing ''
set terminal pngcairo size 1500,600 font ',10'
set output png
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y
set grid ytics
set xtics nomirror rotate by -15 left
# Same bottom margin in every panel, so that they align; one legend for all, under the middle panel.
set bmargin 9
unset key
set multiplot layout 1,3 title 'daxfs beside its FUSE peers (median of the rounds; higher is better; log scale)'

set title 'Sequential 1 MiB (MiB/s)'
plot for [i=3:ntargets+2] csv every ::0::1 using i:xtic(1) title columnheader(i)

set title 'Random 4 KiB, psync, queue depth 1 (IOPS)'
set key at screen 0.5, screen 0.06 center horizontal maxrows 2
plot for [i=3:ntargets+2] csv every ::2::5 using i:xtic(1) title columnheader(i)
unset key

set title 'Metadata (ops/s)'
plot for [i=3:ntargets+2] csv every ::6::8 using i:xtic(1) title columnheader(i)

unset multiplot
