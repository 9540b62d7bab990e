# Draws one table of bench/amqp_bench's --data file as horizontal bars (SVG).
# gnuplot -e "data='FILE'; table='1 listener'; out='FILE.svg'; title='...'" throughput.gp
set terminal svg size 860,60+48*6 dynamic font "sans,11" background rgb "white"
set output out
set datafile separator "\t"
set title title
set style fill solid 0.85 border -1
set xlabel "confirmed messages/s (best of 3)"
set xrange [0:*]
set offsets 0, graph 0.12, 0.5, 0.5
set yrange [*:*] reverse
set ytics scale 0 font ",10" nomirror
set grid xtics
set lmargin 44
src = "< grep '^".table."\t' ".data
plot src using (0):0:(0):3:($0-0.35):($0+0.35):ytic(2) with boxxyerror lc rgb "#4477aa" notitle, \
     src using 3:0:(sprintf(" %.0f", $3)) with labels left font ",10" notitle
