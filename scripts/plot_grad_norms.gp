# One run's per-layer gradient norm over steps (log scale, one line per layer, light = input
# side, dark = output side), from RUN/grad_norms.csv, into RUN/grad_norms_gnuplot.png:
#   gnuplot -e "run='runs/x'" scripts/plot_grad_norms.gp
# Optional: -e "param='delta'" (default: each layer's weight matrix, W, or W_ih for a recurrent
# layer), -e "out='file.png'". Exits with status 2 on a missing run or file, or an unknown param.

if (!exists("run")) {
  print "error: no run directory: gnuplot -e \"run='RUN_DIR'\" plot_grad_norms.gp"
  exit status 2
}
if (!exists("param")) { param = "auto" }
file = run . "/grad_norms.csv"
if (!exists("out")) { out = run . "/grad_norms_gnuplot.png" }
if (system("test -f '" . file . "' && echo 1 || echo 0") + 0 == 0) {
  print "error: " . file . ": no such file"
  exit status 2
}

set datafile separator ","
wanted(p) = (param eq "auto") ? (p eq "W" || p eq "W_ih") : (p eq param)
good(l) = ($2 == l && wanted(strcol(3)) && $4 > 0 && $4 < 1e308)
stats file using 2 every ::1 nooutput
layers = int(STATS_max)

# One datablock per layer ($L1, $L2, ...) with the steps and norms of its chosen param that are
# finite and positive (nan/inf from a diverged run, or 0, have no place on a log scale), so that
# lines join its points; `drawn` lists the layers that have any.
drawn = ""
do for [l=1:layers] {
  stats file using (good(l) ? 1 : 0) every ::1 nooutput
  if (STATS_sum > 0) {
    drawn = drawn . sprintf(" %d", l)
    eval sprintf("set table $L%d", l)
    plot file every ::1 using 1:4 with table if (good(l))
    unset table
  }
}
if (words(drawn) == 0) {
  print "error: " . file . ": no finite rows with param '" . param . "'"
  exit status 2
}

if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
  set terminal pngcairo size 1000,620 enhanced font "sans,10"
} else {
  set terminal png size 1000,620 font "sans,10"
}
set output out

name = system("basename '" . run . "'")
stats file using (strcol(3) eq "W_ih" ? 1 : 0) every ::1 nooutput
recurrent = STATS_sum > 0
label = (param eq "auto") ? (recurrent ? "||dL/dW|| (W\\_ih for recurrent layers)" : "||dL/dW||") : \
        (param eq "delta") ? "||{/Symbol d}|| = ||dL/dz||" : sprintf("||dL/d%s||", param)
set title sprintf("%s: gradient norm per layer (gnuplot)", name) noenhanced
set xlabel "step"
set ylabel label . " (log scale)"
set logscale y
set format y "10^{%L}"
set grid xtics ytics mytics lc rgb "#dddddd"
set key outside right top title "layer" noenhanced
set palette defined (0 "#bddf26", 0.5 "#21918c", 1 "#3b0f70")
unset colorbox
frac(l) = (layers > 1) ? (l - 1.0) / (layers - 1) : 0.5

set datafile separator whitespace
plot for [i=1:words(drawn)] sprintf("$L%s", word(drawn, i)) using 1:2 with linespoints \
     pt 7 ps 0.5 lw 1.5 lc palette frac frac(int(word(drawn, i))) \
     title (int(word(drawn, i)) == layers ? word(drawn, i) . " (output)" : word(drawn, i))
print out
