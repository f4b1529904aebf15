#!/bin/sh
# sde-plot: saved JSON tables (format 1, which sde-compare and sde-slow
# write, and the first layout of older files) redrawn without recomputing, in every
# format; the pgfplots picture compiles; the kept gnuplot script names no
# file; hostile names and texts run no code; bad input is one line, status
# 2 and no file.
. "${top_srcdir:-.}/tests/cli/lib.sh"
plot=$tools/sde-plot
cd "$tmpdir" || exit 1
small="--eta=2^-2:2^-5 --paths=3000 --target-ci=0 --seed=3"

# No file of a failed run anywhere: neither NAME nor a temporary file.
no_output () {
  if [ -e "$1" ] || ls -a | grep -q 'tmp[A-Za-z0-9]\{6\}$\|sdekit-probe'; then
    fail "$2: a file was left: $(ls -a)"
  else pass; fi
}

# The tables of a saved document in either layout, and the document
# without its fits (for python3 -c '...exec(open("layout.py").read())').
cat >layout.py <<'EOF'
def rows(d, name):
    if name in d:
        return d[name]
    t = [t for t in d["tables"] if t["name"] == name][0]
    return [dict(zip(t["columns"], r)) for r in t["rows"]]
def drop_fits(d):
    d.pop("fits", None)
    if "tables" in d:
        d["tables"] = [t for t in d["tables"] if t["name"] != "fits"]
    return d
EOF

# ---- A saved run, redrawn ----
"$tools/sde-compare" $small --observable=norm2,x0 --format=json --output=run.json \
  --plot=orig.tex >/dev/null || fail "sde-compare run"
# The file alone gives the figure the run drew, byte for byte (the old
# layout has no log_c: the lines are refitted from the rows).
"$plot" run.json --plot=redraw.tex && cmp -s orig.tex redraw.tex && pass ||
  fail "the redrawn .tex differs from the run's: $(diff orig.tex redraw.tex | head -5)"
# A picture to \input, not a document; orders with their SEs; one slope
# per method with a theory (SGD exact, SGDM a bound).
grep -q '^\\begin{tikzpicture}' redraw.tex && ! grep -q 'documentclass\|begin{document}' redraw.tex &&
  pass || fail "the .tex is not a tikzpicture fragment"
[ "$(grep -c 'addlegendentry{.*order [0-9.-]* \$\\pm\$ [0-9.]*}' redraw.tex)" -eq 4 ] && pass ||
  fail "legends without order +- SE: $(grep addlegendentry redraw.tex)"
grep -q 'addlegendentry{sgd: slope 1}' redraw.tex &&
  grep -q 'addlegendentry{sgdm:beta=0.9: slope 0.5 (a bound)}' redraw.tex &&
  [ "$(grep -c 'slope' redraw.tex)" -eq 2 ] && pass || fail "theory slopes: $(grep slope redraw.tex)"
# Error bars are the rows' CIs: ci_hi - e of the first row.
python3 -c 'import json,sys
exec(open(sys.argv[3]).read())
r = rows(json.load(open(sys.argv[1])), "errors")[0]
tex = open(sys.argv[2]).read()
want = "(0.25, %.10g) += (0, %.10g)" % (abs(r["error"]), r["ci_hi"] - r["error"])
assert want in tex, want' run.json redraw.tex layout.py && pass || fail "error bars are not the CIs"

# The same table as format-1 records (floor a boolean, local slopes as
# lists, no log_c): the same figure.
python3 -c 'import json
exec(open("layout.py").read())
d = json.load(open("run.json"))
e, f = rows(d, "errors"), rows(d, "fits")
for r in e:
    r["floor"] = r["floor"] in ("*", True)
for r in f:
    r.pop("log_c", None)
    for k in ("local_slopes", "local_slopes_se"):
        if isinstance(r[k], str):
            r[k] = [float(x) for x in r[k].split()]
out = {"sdekit": d.get("sdekit", "0"), "format": 1, "provenance": d["provenance"],
       "errors": e, "fits": f, "notes": d.get("notes", []), "verdicts": [],
       "interrupted": False, "failed": False}
json.dump(out, open("run1.json", "w"), indent=1)' || fail "making a format-1 table"
"$plot" run1.json --plot=redraw1.tex && cmp -s orig.tex redraw1.tex && pass ||
  fail "format 1 draws another figure: $(diff orig.tex redraw1.tex | head -5)"

# The first layout (older files: "tables" of named columns and rows of
# cells, floor as "*" or "") draws the same figure too.
python3 -c 'import json
d = json.load(open("run1.json"))
tabs = []
for name in ("errors", "fits"):
    recs = d.pop(name)
    cols = list(recs[0].keys())
    rows = [[(("*" if r[c] else "") if c == "floor" else r[c]) for c in cols] for r in recs]
    tabs.append({"name": name, "columns": cols, "rows": rows})
d.pop("format")
d["tables"] = tabs
json.dump(d, open("run0.json", "w"), indent=1)' || fail "making a first-layout table"
"$plot" run0.json --plot=redraw0.tex && cmp -s orig.tex redraw0.tex && pass ||
  fail "the first layout draws another figure: $(diff orig.tex redraw0.tex | head -5)"
# Its malformed tables: one line each, status 2.
for bad in 'del t["columns"]' 't["columns"][0] = 7' 't["rows"][0].pop()' 't["rows"][0] = {}' 't["rows"] = 3'; do
  python3 -c 'import json, sys
d = json.load(open("run0.json"))
t = d["tables"][0]
exec(sys.argv[1])
json.dump(d, open("bad0.json", "w"))' "$bad" || fail "making a bad first-layout table"
  expect_usage sde-plot bad0.json --plot=out.tex
  case $bad in
  *'del t["columns"]'*) expect_mentions 'the "errors" table has no list of "columns"' ;;
  *'= 7'*) expect_mentions 'a column name is a number' ;;
  *'pop()'*) expect_mentions 'a row of the "errors" table has' ;;
  *'= {}'*) expect_mentions 'a row of the "errors" table is an object, not an array' ;;
  *'= 3'*) expect_mentions 'the "errors" table has no list of "rows"' ;;
  esac
done
no_output out.tex "bad first-layout tables"

# Every format through gnuplot.
"$plot" run.json --plot=fig.png && [ "$(head -c 4 fig.png | tail -c 3)" = PNG ] && pass || fail ".png"
"$plot" run.json --plot=fig.svg && grep -q '<svg' fig.svg && pass || fail ".svg"
"$plot" run.json --plot=fig.pdf && [ "$(head -c 4 fig.pdf)" = %PDF ] && pass || fail ".pdf"
# From standard input.
"$tools/sde-compare" $small --methods=sgd --format=json | "$plot" - --plot=pipe.tex &&
  grep -q 'sgd, norm2: order' pipe.tex && pass || fail "a table on standard input"

# ---- The kept script ----
"$plot" run.json --plot=kept-figure.png --script=kept.gp || fail "--script"
[ -s kept.gp ] && pass || fail "no script kept"
if grep -q 'kept-figure\|run\.json\|kept\.gp' kept.gp; then fail "the script names a file: $(grep -n 'kept\|run' kept.gp)"; else pass; fi
grep -q '^set output$' kept.gp && pass || fail "the script does not write to its standard output"
gnuplot kept.gp >again.png 2>gp.err && [ "$(head -c 4 again.png | tail -c 3)" = PNG ] && pass ||
  fail "the kept script does not draw: $(cat gp.err)"
"$plot" run.json --plot=kept.pdf --script=kept-pdf.gp && grep -q '^set terminal pdfcairo' kept-pdf.gp && pass ||
  fail "the script of a .pdf"

# ---- pgfplots compiles: the picture inside a document, and --standalone ----
if ! command -v pdflatex >/dev/null 2>&1; then
  fail "pdflatex is not installed (Debian packages texlive-latex-base and texlive-pictures): the pgfplots figure cannot be checked"
elif ! kpsewhich pgfplots.sty >/dev/null 2>&1; then
  fail "pgfplots is not installed (Debian package texlive-pictures): the pgfplots figure cannot be checked"
else
  printf '%s\n' '\documentclass{article}' '\usepackage{pgfplots}' '\begin{document}' \
    'Figure:' '\input{redraw.tex}' '\end{document}' >wrap.tex
  pdflatex -interaction=nonstopmode -halt-on-error wrap.tex >wrap.out 2>&1 && [ -s wrap.pdf ] && pass ||
    fail "the pgfplots picture does not compile inside a document: $(grep -A3 '^!' wrap.log | head -8)"
  "$plot" run.json --plot=alone.tex --standalone || fail "--standalone"
  grep -q '^\\documentclass{standalone}' alone.tex && grep -q '^\\end{document}' alone.tex && pass ||
    fail "--standalone is not a document"
  if kpsewhich standalone.cls >/dev/null 2>&1; then
    pdflatex -interaction=nonstopmode -halt-on-error alone.tex >alone.out 2>&1 && [ -s alone.pdf ] && pass ||
      fail "the standalone figure does not compile: $(grep -A3 '^!' alone.log | head -8)"
  else
    echo "note: standalone.cls is not installed (Debian package texlive-latex-extra): the standalone document was not compiled"
  fi
fi

# ---- sde-slow's tables ----
"$tools/sde-slow" --eta=2^-2:2^-4 --paths=1024 --target-ci=0 --format=json --output=slow.json >/dev/null ||
  fail "sde-slow run"
"$plot" slow.json --plot=slow.svg && grep -q 'against the slow SDE' slow.svg && pass || fail "sde-slow's table"

# ---- Format 1, written by hand: records, floor as a boolean, log_c ----
# sgd has a floored point (hollow), log_c = log 0.8 (the line through
# (0.25, 0.2), not the rows' refit through (0.25, 0.1)) and theory 1; hb
# has theory 0 and sgdm none: one slope line in all.
cat >new.json <<'EOF'
{"sdekit": "0.2.0", "format": 1,
 "provenance": {"problem": "quadratic:h=1", "reference": "SME-1, solved by the exact engine"},
 "errors": [
  {"eta": 0.25, "method": "sgd", "observable": "norm2", "N": 1000, "error": 0.1, "se": 0.01,
   "ci_lo": 0.0804, "ci_hi": 0.1196, "floor": false, "ci_z": 1.96, "t_max": 1, "stop": "fixed", "seconds": 0.1},
  {"eta": 0.125, "method": "sgd", "observable": "norm2", "N": 1000, "error": 0.05, "se": 0.005,
   "ci_lo": 0.0402, "ci_hi": 0.0598, "floor": false, "ci_z": 1.96, "t_max": null},
  {"eta": 0.0625, "method": "sgd", "observable": "norm2", "N": 1000, "error": 0.025, "se": 0.0025,
   "ci_lo": 0.0201, "ci_hi": 0.0299, "floor": false, "ci_z": 1.96},
  {"eta": 0.03125, "method": "sgd", "observable": "norm2", "N": 1000, "error": -0.001, "se": 0.002,
   "ci_lo": -0.00492, "ci_hi": 0.00292, "floor": true, "ci_z": 1.96},
  {"eta": 0.25, "method": "sgdm", "observable": "norm2", "error": 0.3, "se": 0, "ci_lo": 0.3, "ci_hi": 0.3, "floor": false, "ci_z": null},
  {"eta": 0.125, "method": "sgdm", "observable": "norm2", "error": 0.2, "se": 0, "ci_lo": 0.2, "ci_hi": 0.2, "floor": false, "ci_z": null},
  {"eta": 0.25, "method": "hb", "observable": "norm2", "error": 0.5, "se": 0.1, "ci_lo": 0.3, "ci_hi": 0.7, "floor": false, "ci_z": 1.96},
  {"eta": 0.125, "method": "hb", "observable": "norm2", "error": 0.45, "se": 0.1, "ci_lo": 0.25, "ci_hi": 0.65, "floor": false, "ci_z": 1.96}
 ],
 "fits": [
  {"method": "sgd", "observable": "norm2", "order": 1.0, "se": 0.01, "ci_lo": 0.98, "ci_hi": 1.02,
   "log_c": -0.22314355131420971, "theory": 1, "theory_kind": "exact", "points": 3, "floored": 1,
   "chi2_dof": 0.1, "local_slopes": [1, 1, null], "local_slopes_se": [0.1, 0.1, null], "warnings": []},
  {"method": "sgdm", "observable": "norm2", "order": null, "se": null, "ci_lo": null, "ci_hi": null,
   "log_c": null, "theory": null, "theory_kind": "", "points": 2, "floored": 0, "chi2_dof": null,
   "local_slopes": [0.58], "local_slopes_se": [0], "warnings": ["fewer than three usable points"]},
  {"method": "hb", "observable": "norm2", "order": null, "theory": 0, "theory_kind": "none",
   "local_slopes": [0.15], "local_slopes_se": [0.3], "warnings": []}
 ],
 "notes": ["a note"], "verdicts": [], "interrupted": false, "failed": false}
EOF
"$plot" new.json --plot=new.tex || fail "format 1"
grep -q 'addlegendentry{sgd, norm2: order 1.00 \$\\pm\$ 0.01}' new.tex && pass || fail "format 1: the fit's legend"
grep -q '(0.25, 0.2) (0.03125, 0.025)' new.tex && pass || fail "format 1: log_c not used: $(grep dashed new.tex)"
grep -q 'mark options={fill=white}' new.tex && grep -q '(0.03125, 0.001)' new.tex && pass || fail "format 1: the floored point is not hollow"
[ "$(grep -c 'slope' new.tex)" -eq 1 ] && grep -q 'addlegendentry{sgd: slope 1}' new.tex && pass ||
  fail "format 1: slopes $(grep slope new.tex)"
grep -q 'addlegendentry{sgdm, norm2}' new.tex && pass || fail "format 1: a series without an order"
grep -q 'title={quadratic:h=1: weak error against SME-1}' new.tex && pass || fail "format 1: title"
"$plot" new.json --plot=new.png --title='my title' && pass || fail "format 1 through gnuplot"
# A later format is refused, not misread.
sed 's/"format": 1/"format": 2/' new.json >v2.json
expect_usage sde-plot v2.json --plot=out.png; expect_mentions 'v2.json:1:31: "format" is not 1'
no_output out.png "format 2"

# An interrupted run has no fits: orders from the rows, no theory.
python3 -c 'import json
exec(open("layout.py").read())
d = drop_fits(json.load(open("run.json")))
d["interrupted"] = True
json.dump(d, open("int.json", "w"))' || fail "making an interrupted table"
"$plot" int.json --plot=int.tex && grep -q 'sgd, norm2: order' int.tex && ! grep -q slope int.tex && pass ||
  fail "an interrupted table"

# ---- Hostile names and texts run no code ----
name="x';system('touch PWNED');'.png"
"$plot" run.json --plot="$name" --script="s';system('touch PWNED2');'.gp" \
  --title="t' ; system('touch PWNED3') ; '\`touch PWNED4\`" 2>inj.err
[ ! -e PWNED ] && [ ! -e PWNED2 ] && [ ! -e PWNED3 ] && [ ! -e PWNED4 ] &&
  [ "$(head -c 4 "$name" | tail -c 3)" = PNG ] && pass || fail "a name or title ran as code: $(ls) $(cat inj.err)"
if grep -qF "touch PWNED');" "s';system('touch PWNED2');'.gp"; then fail "the output name is in the script"; else pass; fi
# Names from the file are text too, in gnuplot and in LaTeX.
sed -e "s/\"method\": \"hb\"/\"method\": \"hb'; system('touch PWNED5'); '\\\\\\\\input{\\/etc\\/passwd}\"/" new.json >evil.json
grep -q 'PWNED5' evil.json || fail "the hostile table was not made"
"$plot" evil.json --plot=evil.svg && [ ! -e PWNED5 ] && grep -q '<svg' evil.svg && pass || fail "a method name ran in gnuplot"
"$plot" evil.json --plot=evil.tex && ! grep -qF '\input{/etc/passwd}' evil.tex && pass || fail "a method name is LaTeX code"
if command -v pdflatex >/dev/null 2>&1 && kpsewhich pgfplots.sty >/dev/null 2>&1; then
  sed 's/redraw.tex/evil.tex/' wrap.tex >wrap-evil.tex
  pdflatex -interaction=nonstopmode -halt-on-error wrap-evil.tex >/dev/null 2>&1 && pass ||
    fail "escaped hostile names do not compile: $(grep -A3 '^!' wrap-evil.log | head -8)"
fi

# ---- Bad input: one line, status 2, no file ----
expect_usage sde-plot missing.json --plot=out.png; expect_mentions "missing.json: cannot open"
no_output out.png "a missing file"
expect_usage sde-plot fig.png --plot=out.png; expect_mentions "fig.png:1:1:"
no_output out.png "a PNG as input"
echo 'hello' >hello.json
expect_usage sde-plot hello.json --plot=out.tex; expect_mentions "'hello' is not a JSON value"
# Cut after the last closing bracket: the document ends inside it.
head -c "$(($(wc -c <run.json) - 3))" run.json >cut.json
expect_usage sde-plot cut.json --plot=out.tex; expect_mentions "the input ends inside"
echo '{"provenance": {"sdekit": "0.1.0"}, "tables": []}' >empty.json
expect_usage sde-plot empty.json --plot=out.tex; expect_mentions 'no "errors" table'
python3 -c 'import json
exec(open("layout.py").read())
json.dump(drop_fits(json.load(open("run.json"))), open("nofits.json", "w"))'
expect_usage sde-plot nofits.json --plot=out.tex; expect_mentions 'no "fits" table'
sed 's/"eta": 0.125/"eta": NaN/' new.json >nan.json
expect_usage sde-plot nan.json --plot=out.tex; expect_mentions "NaN is not JSON"
sed 's/"N": 1000, "error": 0.1/"error": 0.7, "N": 1000, "error": 0.1/' new.json >dup.json
expect_usage sde-plot dup.json --plot=out.tex; expect_mentions 'duplicate key "error"'
sed 's/"error": 0.05,/"error": "0.05",/' new.json >str.json
expect_usage sde-plot str.json --plot=out.tex; expect_mentions '"error" is a string, not a number'
python3 -c 'print("[" * 100 + "]" * 100)' >deep.json
expect_usage sde-plot deep.json --plot=out.tex; expect_mentions "nested more than 64 deep"
expect_usage sde-plot "$tmpdir" --plot=out.tex; expect_mentions "Is a directory"
sed 's/"error": [-0-9.e]*/"error": 0/g' new.json >zero.json
expect_usage sde-plot zero.json --plot=out.tex; expect_mentions "nothing to draw"
no_output out.tex "bad tables"
# Bad names and options.
expect_usage sde-plot run.json --plot=out.jpg; expect_mentions "use a .png, .svg, .pdf or .tex"
expect_usage sde-plot run.json --plot=out; expect_mentions "--plot=out"
expect_usage sde-plot run.json --plot="$tmpdir/none/out.png"; expect_mentions "cannot create a file in"
expect_usage sde-plot run.json --plot=run.json/out.png; expect_mentions "--plot="
mkdir -p adir
expect_usage sde-plot run.json --plot=adir; expect_mentions "--plot=adir"
expect_usage sde-plot run.json --plot=out.tex --script=out.gp; expect_mentions "--script"
expect_usage sde-plot run.json --plot=out.png --script="$tmpdir/none/out.gp"; expect_mentions "--script="
expect_usage sde-plot run.json --plot=out.png --script=out.png; expect_mentions "the figure itself"
expect_usage sde-plot run.json --plot=out.png --standalone; expect_mentions "--standalone"
expect_usage sde-plot run.json; expect_mentions "--plot=FILE is missing"
expect_usage sde-plot --plot=out.png; expect_mentions "FILE.json is missing"
expect_usage sde-plot run.json new.json --plot=out.png; expect_mentions "one FILE.json at a time"
expect_usage sde-plot run.json --plot=out.png --paths=5; expect_mentions "unknown option"
no_output out.png "bad options"
no_output out.gp "bad options"
# No gnuplot: a usage error before any work.
PATH=/nonexistent "$plot" run.json --plot=out.png 2>nognu.err
[ $? -eq 2 ] && grep -q 'gnuplot is not installed' nognu.err && pass || fail "no gnuplot: $(cat nognu.err)"

# ---- A gnuplot that fails: status 1, no figure, no script ----
mkdir -p fakebin
printf '#!/bin/sh\ncat >/dev/null\necho "gnuplot: broken" >&2\nexit 1\n' >fakebin/gnuplot
chmod +x fakebin/gnuplot
PATH="$tmpdir/fakebin:$PATH" "$plot" run.json --plot=out.png --script=out.gp 2>fake.err
[ $? -eq 1 ] && grep -q '^sde-plot: --plot=out.png: gnuplot failed' fake.err && pass || fail "a failing gnuplot: $(cat fake.err)"
no_output out.png "a failing gnuplot"
no_output out.gp "a failing gnuplot"

finish
