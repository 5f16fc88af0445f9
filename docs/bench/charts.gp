set terminal pngcairo size 1100,520 font ',10'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.9 border -1
set key outside right top
set xtics rotate by -30 noenhanced
set grid ytics
set output 'ratio.png'
set title 'Compression ratio (raw / stored), higher is better'
set ylabel 'ratio'
set logscale y
plot for [i=2:10] 'ratio.dat' using i:xtic(1) title columnheader
set output 'put.png'
set title 'Put throughput (MB/s of raw voxels), median'
set ylabel 'MB/s'
set logscale y
plot for [i=2:10] 'put.dat' using i:xtic(1) title columnheader
set output 'get.png'
set title 'Warm get throughput (MB/s of raw voxels), median'
set ylabel 'MB/s'
set logscale y
plot for [i=2:10] 'get.dat' using i:xtic(1) title columnheader
set output 'scaling.png'
set style data linespoints
unset xtics
set xtics
set logscale xy
set title 'Put and get time against volume size (CT phantom n^3 int16)'
set xlabel 'volume MiB'
set ylabel 'seconds'
set key left top
plot 'scaling.dat' index 0 using 1:2 title 'baseline put' lw 2, '' index 0 using 1:3 title 'baseline get' lw 2, '' index 1 using 1:2 title 'voxcache put' lw 2, '' index 1 using 1:3 title 'voxcache get' lw 2
