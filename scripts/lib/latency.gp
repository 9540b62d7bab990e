# Draws bench/delivery_bench's --data latency lines as grouped horizontal bars, log scale (SVG).
# gnuplot -e "data='FILE'; out='FILE.svg'; title='...'" latency.gp
set terminal svg size 860,90+44*8 dynamic font "sans,11" background rgb "white"
set output out
set datafile separator "\t"
set title title
set style fill solid 0.85 border -1
set xlabel "fire() latency, microseconds (log scale)"
set logscale x
set xrange [1:*]
set offsets 0, 0, 0.6, 0.6
set yrange [*:*] reverse
set ytics scale 0 font ",10" nomirror
set grid xtics mxtics
set lmargin 40
set key outside right top vertical
src = "< grep '^latency\t' ".data
bar(v) = sqrt(v)  # any x between the ends; the box is drawn from 1 to v
plot src using (bar($3)):($0-0.27):(1):3:($0-0.39):($0-0.15):ytic(2) with boxxyerror lc rgb "#88ccee" title "p50", \
     src using (bar($4)):($0):(1):4:($0-0.12):($0+0.12) with boxxyerror lc rgb "#4477aa" title "p99", \
     src using (bar($5)):($0+0.27):(1):5:($0+0.15):($0+0.39) with boxxyerror lc rgb "#222255" title "p99.9"
