#!/bin/sh
# LaTeX for papers: the default fragment compiles when \input by a
# document that loads booktabs alone, and the standalone document compiles,
# both for tables with hostile strings (_ % & # $ { } \ ^ ~ and a
# newline); so does a real sde-compare table.  (tests/check_report.c
# compiles the trailers of interrupted documents.)
. "${top_srcdir:-.}/tests/cli/lib.sh"
sample=$top_builddir/tests/report_sample

if ! command -v pdflatex >/dev/null 2>&1; then
  fail "pdflatex is missing: install texlive-latex-base, texlive-latex-recommended and texlive-science (./quickstart.sh deps installs them)"
  finish
  exit 1
fi

# compile DIR NAME: pdflatex makes DIR/NAME.pdf (its log on failure).
compile () {
  if (cd "$1" && pdflatex -interaction=nonstopmode -halt-on-error "$2.tex" \
        >log.txt 2>&1 </dev/null) && [ -s "$1/$2.pdf" ]; then
    return 0
  fi
  tail -n 20 "$1/log.txt" >&2
  return 1
}

# wrap DIR: DIR/main.tex loads booktabs alone and \inputs DIR/t.tex.
wrap () {
  printf '%s\n' '\documentclass{article}' '\usepackage{booktabs}' \
    '\begin{document}' 'Tables:' '' '\input{t}' '\end{document}' >"$1/main.tex"
}

# The fragment: no preamble, two tabulars, every special character escaped.
d=$tmpdir/frag
mkdir "$d"
"$sample" latex >"$d/t.tex" || fail "report_sample latex"
if grep -q 'documentclass\|begin{document}' "$d/t.tex"; then fail "the fragment has a preamble"; else pass; fi
[ "$(grep -c '^\\begin{tabular}' "$d/t.tex")" -eq 2 ] && pass || fail "want two tabulars (errors, fits)"
[ "$(grep -c '^\\toprule$' "$d/t.tex")" -eq 2 ] && [ "$(grep -c '^\\midrule$' "$d/t.tex")" -eq 2 ] &&
  [ "$(grep -c '^\\bottomrule$' "$d/t.tex")" -eq 2 ] && pass || fail "booktabs rules"
for s in '\_' '\%' '\&' '\#' '\$' '\{' '\}' '\textbackslash{}' '\textasciicircum{}' '\textasciitilde{}'; do
  grep -qF -- "$s" "$d/t.tex" && pass || fail "the fragment lacks $s"
done
grep -qF '$(2.14\pm0.11)\times10^{-2}$' "$d/t.tex" && pass || fail "no value and half-width with a common exponent"
if grep -v '^%' "$d/t.tex" | grep -q 'e-0'; then fail "a number in C's e notation"; else pass; fi
wrap "$d"
compile "$d" main && pass || fail "the fragment does not compile under \\input"

# The standalone document, every column shown.
d=$tmpdir/doc
mkdir "$d"
"$sample" latex standalone wide >"$d/t.tex" || fail "report_sample latex standalone"
grep -q '^\\documentclass{article}' "$d/t.tex" && grep -q '\\emph{Note:}' "$d/t.tex" && pass ||
  fail "the standalone document lacks its preamble or notes as text"
compile "$d" t && pass || fail "the standalone document does not compile"

# A real table: sde-compare's fragment (a method name with a comma and
# the fits as their own tabular).
d=$tmpdir/cmp
mkdir "$d"
"$tools/sde-compare" --eta=2^-2:2^-4 --paths=500 --target-ci=0 \
  --methods=sgd,svag:l=2,sgd --format=latex >"$d/t.tex" || fail "sde-compare --format=latex"
wrap "$d"
compile "$d" main && pass || fail "sde-compare's fragment does not compile under \\input"

finish
