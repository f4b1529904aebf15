/* check_expr.c: unit tests of the expression compiler: grammar, errors,
   simplification, differentiation against closed forms and finite
   differences, printing, sharing, and block evaluation.  */
#include <config.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sdekit/expr.h"
#include "sdekit/observable.h"
#include "testutil.h"

/* The last reason reported through gsl_error; the handler never prints.  */
static char last_reason[1024];
static int last_code;

static void
capture (const char *reason, const char *file, int line, int code)
{
  (void)file, (void)line;
  snprintf (last_reason, sizeof last_reason, "%s", reason);
  last_code = code;
}

static void
clear_reason (void)
{
  last_reason[0] = '\0';
  last_code = 0;
}

/* x0, x1, x2 per path and the scalar t.  */
static sde_expr_ctx *
ctx3 (void)
{
  sde_expr_ctx *ctx = sde_expr_ctx_alloc (3, 1, NULL);
  ck_assert_ptr_nonnull (ctx);
  return ctx;
}

static const sde_expr *
parse_ok (sde_expr_ctx *ctx, const char *text)
{
  clear_reason ();
  const sde_expr *e = sde_expr_parse (ctx, text);
  ck_assert_msg (e != NULL, "'%s' rejected: %s", text, last_reason);
  return e;
}

/* E at one point (x0, x1, x2; t).  */
static double
eval_at (sde_expr_ctx *ctx, const sde_expr *e, const double *x, double t)
{
  sde_expr_prog *pg = sde_expr_compile (ctx, &e, 1);
  ck_assert_ptr_nonnull (pg);
  double out = NAN;
  ck_assert_int_eq (sde_expr_prog_eval1 (pg, x, &t, &out, NULL), 0);
  sde_expr_prog_free (pg);
  return out;
}

static double
eval_text (const char *text, const double *x, double t)
{
  sde_expr_ctx *ctx = ctx3 ();
  const double v = eval_at (ctx, parse_ok (ctx, text), x, t);
  sde_expr_ctx_free (ctx);
  return v;
}

static int
same_bits (double a, double b)
{
  return memcmp (&a, &b, sizeof a) == 0;
}

static void
print_is (sde_expr_ctx *ctx, const sde_expr *e, const char *want)
{
  char buf[512];
  sde_expr_print (ctx, e, buf, sizeof buf);
  ck_assert_str_eq (buf, want);
}

/* ---- Grammar. ---- */

START_TEST (test_expr_parse_precedence_and_associativity)
{
  const double x[3] = { 3, 5, 7 };
  ck_assert_double_eq (eval_text ("-x0^2", x, 0), -9);
  ck_assert_double_eq (eval_text ("-2^2", x, 0), -4);
  ck_assert_double_eq (eval_text ("(-2)^2", x, 0), 4);
  ck_assert_double_eq (eval_text ("2^-1", x, 0), 0.5);
  ck_assert_double_eq (eval_text ("2^3^2", x, 0), 512);
  ck_assert_double_eq (eval_text ("x0^x0^0.5", x, 0), pow (3, sqrt (3)));
  ck_assert_double_eq (eval_text ("x0/x1/x2", x, 0), (3.0 / 5) / 7);
  ck_assert_double_eq (eval_text ("x0/(x1/x2)", x, 0), 3 / (5.0 / 7));
  ck_assert_double_eq (eval_text ("x0 - x1 - x2", x, 0), -9);
  ck_assert_double_eq (eval_text ("x0 - (x1 - x2)", x, 0), 5);
  ck_assert_double_eq (eval_text ("2*x0 + x1*x2", x, 0), 41);
  ck_assert_double_eq (eval_text ("2*(x0 + x1)*x2", x, 0), 112);
  ck_assert_double_eq (eval_text ("-x0*x1", x, 0), -15);
  ck_assert_double_eq (eval_text ("x0*-x1", x, 0), -15);
  ck_assert_double_eq (eval_text ("--x0", x, 0), 3);
  ck_assert_double_eq (eval_text ("+x0 - -x1", x, 0), 8);
  ck_assert_double_eq (eval_text ("2^-x0^2", x, 0), pow (2, -9));
  ck_assert_double_eq (eval_text ("\t x0 *\tx1 ", x, 0), 15);
  ck_assert_double_eq (eval_text ("t*x0", x, 0.5), 1.5);
}
END_TEST

START_TEST (test_expr_parse_numbers_and_constants)
{
  const double x[3] = { 0, 0, 0 };
  ck_assert_double_eq (eval_text ("1.5e3", x, 0), 1500);
  ck_assert_double_eq (eval_text ("1.5E+3", x, 0), 1500);
  ck_assert_double_eq (eval_text ("25e-2", x, 0), 0.25);
  ck_assert_double_eq (eval_text (".5", x, 0), 0.5);
  ck_assert_double_eq (eval_text ("5.", x, 0), 5);
  ck_assert_double_eq (eval_text ("0.1", x, 0), 0.1);
  ck_assert_double_eq (eval_text ("pi", x, 0), M_PI);
  ck_assert_double_eq (eval_text ("e", x, 0), M_E);
  ck_assert_double_eq (eval_text ("1e-400", x, 0), 0);
}
END_TEST

/* ---- Rejections: each names the problem and where it is. ---- */

static void
reject (const char *text, const char *want)
{
  sde_expr_ctx *ctx = ctx3 ();
  clear_reason ();
  ck_assert_msg (sde_expr_parse (ctx, text) == NULL, "'%s' accepted", text);
  ck_assert_int_eq (last_code, GSL_EINVAL);
  ck_assert_msg (strstr (last_reason, want) != NULL, "reason '%s' lacks '%s'",
                 last_reason, want);
  ck_assert_ptr_null (strchr (last_reason, '\n'));
  ck_assert_uint_lt (strlen (last_reason), 300);
  sde_expr_ctx_free (ctx);
}

START_TEST (test_expr_reject_unknown_character)
{
  reject ("x0^2@@@@", "unknown character '@' at position 5");
  reject ("x0 + 1;", "unknown character ';' at position 7");
  reject ("x0 + \xc3\xa9", "unknown character '\\xc3' at position 6");
}
END_TEST

START_TEST (test_expr_reject_newline_escaped)
{
  reject ("x0 +\n1", "unknown character '\\n' at position 5");
  reject ("x0\r", "unknown character '\\r' at position 3");
}
END_TEST

START_TEST (test_expr_reject_missing_operand)
{
  reject ("x0 +", "expected a number, variable, function or '(' at position "
                  "5, found end of input");
  reject ("x0 + * x1", "at position 6, found '*'");
  reject ("()", "at position 2, found ')'");
}
END_TEST

START_TEST (test_expr_reject_unknown_names)
{
  reject ("foo(x0)", "unknown function 'foo' at position 1");
  reject ("x1 + y1", "unknown variable 'y1' at position 6 (variables: "
                     "x0..x2, t)");
  reject ("x7", "unknown variable 'x7' at position 1");
  reject ("inf", "unknown variable 'inf'");
  reject ("nan", "unknown variable 'nan'");
  reject ("sin x0", "function 'sin' at position 1 needs its argument");
  reject ("x0(2)", "unknown function 'x0' at position 1");
  /* A long name is quoted in part: the message stays short.  */
  reject ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
          "unknown variable 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...'");
}
END_TEST

START_TEST (test_expr_reject_empty)
{
  reject ("", "empty expression");
  reject ("  \t ", "empty expression");
}
END_TEST

START_TEST (test_expr_reject_unbalanced)
{
  reject ("((x0)", "missing ')' for the '(' at position 1");
  reject ("(x0 x1)", "expected ')' for the '(' at position 1, found 'x1' at "
                     "position 5");
  reject ("x0)", "unbalanced ')' at position 3");
  reject ("sin(x0", "missing ')' for the '(' at position 4");
}
END_TEST

START_TEST (test_expr_reject_malformed_numbers)
{
  reject ("1e", "malformed number '1e' at position 1");
  reject ("x0 + 1e+", "malformed number '1e' at position 6");
  reject ("0x10", "malformed number '0x10' at position 1 (hexadecimal");
  reject ("2x0", "malformed number '2x0' at position 1");
  reject ("1.2.3", "malformed number '1.2.3' at position 1");
  reject ("x0 * .", "malformed number '.' at position 6");
  reject ("1e999", "number '1e999' at position 1 is out of range");
}
END_TEST

START_TEST (test_expr_reject_trailing_text)
{
  reject ("x0 x1", "unexpected 'x1' at position 4 after a complete");
  reject ("2 3", "unexpected '3' at position 3");
}
END_TEST

START_TEST (test_expr_reject_deep_nesting)
{
  char text[1024];
  size_t n = 0;
  for (int i = 0; i < 300; i++)
    text[n++] = '(';
  memcpy (text + n, "x0", 2);
  n += 2;
  for (int i = 0; i < 300; i++)
    text[n++] = ')';
  text[n] = '\0';
  reject (text, "nested deeper than 256 levels");
  /* 200 levels are fine.  */
  sde_expr_ctx *ctx = ctx3 ();
  memmove (text, text + 100, n - 100 + 1);
  text[strlen (text) - 100] = '\0';
  ck_assert_ptr_eq (parse_ok (ctx, text), parse_ok (ctx, "x0"));
  sde_expr_ctx_free (ctx);
}
END_TEST

/* The library writes nothing, whatever the input: stdout and stderr are
   redirected to files that must stay empty.  */
START_TEST (test_expr_reject_prints_nothing)
{
  static const char *bad[]
      = { "x0^2@@@@", "x0 +", "foo(x0)", "y1", "\x01\x02", "1e",     "0x10",
          "x0\n",     "((x0", "",        "@",  "#x0",      "x0 $ x1" };
  gsl_set_error_handler_off ();
  fflush (stdout);
  fflush (stderr);
  FILE *fo = tmpfile (), *fe = tmpfile ();
  ck_assert (fo && fe);
  int so = dup (1), se = dup (2);
  dup2 (fileno (fo), 1);
  dup2 (fileno (fe), 2);
  sde_expr_ctx *ctx = ctx3 ();
  int accepted = 0;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    accepted += sde_expr_parse (ctx, bad[i]) != NULL;
  sde_expr_ctx_free (ctx);
  fflush (stdout);
  fflush (stderr);
  dup2 (so, 1);
  dup2 (se, 2);
  close (so);
  close (se);
  struct stat so_st, se_st;
  fstat (fileno (fo), &so_st);
  fstat (fileno (fe), &se_st);
  fclose (fo);
  fclose (fe);
  gsl_set_error_handler (capture);
  ck_assert_int_eq (accepted, 0);
  ck_assert_int_eq ((int)so_st.st_size, 0);
  ck_assert_int_eq ((int)se_st.st_size, 0);
}
END_TEST

/* sde_expr_parse_why hands the reason back instead of reporting it, so a
   caller can say which of its texts is bad.  */
START_TEST (test_expr_parse_why_returns_reason)
{
  sde_expr_ctx *ctx = ctx3 ();
  char why[256] = "stale";
  clear_reason ();
  ck_assert_ptr_null (sde_expr_parse_why (ctx, "x0^2@@", why, sizeof why));
  ck_assert_str_eq (why, "unknown character '@' at position 5");
  ck_assert_str_eq (last_reason, "");
  ck_assert_ptr_null (sde_expr_parse_why (ctx, "  ", why, sizeof why));
  ck_assert_str_eq (why, "empty expression");
  ck_assert_ptr_null (sde_expr_parse_why (ctx, "sin(x0", why, sizeof why));
  ck_assert_str_eq (why, "missing ')' for the '(' at position 4");
  ck_assert_str_eq (last_reason, "");
  /* A short buffer is cut, not overrun.  */
  char tiny[8];
  ck_assert_ptr_null (sde_expr_parse_why (ctx, "y", tiny, sizeof tiny));
  ck_assert_str_eq (tiny, "unknown");
  const sde_expr *e = sde_expr_parse_why (ctx, "x0 + t", why, sizeof why);
  ck_assert_ptr_eq (e, sde_expr_parse (ctx, "t + x0"));
  ck_assert_str_eq (why, "");
  ck_assert_ptr_null (sde_expr_parse_why (ctx, "x0", NULL, 0));
  ck_assert_int_eq (last_code, GSL_EINVAL);
  sde_expr_ctx_free (ctx);
}
END_TEST

START_TEST (test_expr_ctx_names_checked)
{
  const char *good[] = { "a", "b_1", "t" };
  sde_expr_ctx *ctx = sde_expr_ctx_alloc (2, 1, good);
  ck_assert_ptr_nonnull (ctx);
  const double x[2] = { 2, 3 };
  const sde_expr *e = parse_ok (ctx, "a*b_1 + t");
  ck_assert_double_eq (eval_at (ctx, e, x, 0.5), 6.5);
  clear_reason ();
  ck_assert_ptr_null (sde_expr_parse (ctx, "x0"));
  ck_assert_ptr_nonnull (strstr (last_reason, "(variables: a, b_1, t)"));
  sde_expr_ctx_free (ctx);
  const char *const bad[][2]
      = { { "x", "e" }, { "x", "sin" }, { "x", "1y" },
          { "x", "x" }, { "x", "a b" }, { "x", "a\nb" } };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      clear_reason ();
      ck_assert_ptr_null (sde_expr_ctx_alloc (2, 0, bad[i]));
      ck_assert_int_eq (last_code, GSL_EINVAL);
      ck_assert_ptr_null (strchr (last_reason, '\n'));
    }
  sde_expr_ctx_free (NULL);
}
END_TEST

/* ---- Functions and folding. ---- */

static double
sign_ref (double u)
{
  return u > 0 ? 1 : u < 0 ? -1 : u;
}

static const struct
{
  const char *name;
  double (*f) (double);
} fns[] = { { "exp", exp },   { "log", log },      { "sqrt", sqrt },
            { "sin", sin },   { "cos", cos },      { "tan", tan },
            { "sinh", sinh }, { "cosh", cosh },    { "tanh", tanh },
            { "asin", asin }, { "acos", acos },    { "atan", atan },
            { "abs", fabs },  { "sign", sign_ref } };

/* Every function, run by a program and folded from a constant, is
   bitwise the C library's.  */
START_TEST (test_expr_functions_match_libm)
{
  const double pts[] = { 0.3, -0.7, 0.0, 1e-3, 0.999, 2.5, -1e-300, 40 };
  sde_expr_ctx *ctx = ctx3 ();
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
    {
      char text[64];
      snprintf (text, sizeof text, "%s(x0)", fns[i].name);
      const sde_expr *e = parse_ok (ctx, text);
      for (size_t j = 0; j < sizeof pts / sizeof pts[0]; j++)
        {
          const double x[3] = { pts[j], 0, 0 }, want = fns[i].f (pts[j]);
          const double got = eval_at (ctx, e, x, 0);
          ck_assert_msg (same_bits (got, want) || (isnan (got) && isnan (want)),
                         "%s(%g) = %.17g, libm %.17g", fns[i].name, pts[j], got,
                         want);
          const sde_expr *c
              = sde_expr_func (ctx, fns[i].name, sde_expr_const (ctx, pts[j]));
          double v;
          ck_assert (sde_expr_is_const (c, &v));
          ck_assert (same_bits (v, got) || (isnan (v) && isnan (got)));
        }
    }
  sde_expr_ctx_free (ctx);
}
END_TEST

/* Folding a constant subtree gives the bits the program computes.  */
START_TEST (test_expr_fold_matches_runtime)
{
  static const char *forms[]
      = { "X^2",      "X^3",       "X^4",         "X^-1", "X^-2",
          "X^0.5",    "X^-0.5",    "X^1.7",       "2^X",  "X^X",
          "X/3 + X",  "1/(X - 3)", "sin(X)*X^3",  "-X",   "X - 0.1",
          "exp(X)^3", "sqrt(X)/7", "atan(X)^-0.5" };
  const double vals[] = { 0.1, 0.3, 1.7, 3.0, 12.345 };
  sde_expr_ctx *ctx = ctx3 ();
  for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++)
    for (size_t j = 0; j < sizeof vals / sizeof vals[0]; j++)
      {
        char var[64], num[64];
        size_t n = 0, m = 0;
        for (const char *s = forms[i]; *s; s++)
          if (*s == 'X')
            {
              n += (size_t)snprintf (var + n, sizeof var - n, "x0");
              m += (size_t)snprintf (num + m, sizeof num - m, "%.17g", vals[j]);
            }
          else
            {
              var[n++] = *s;
              num[m++] = *s;
            }
        var[n] = num[m] = '\0';
        double folded;
        ck_assert (sde_expr_is_const (parse_ok (ctx, num), &folded));
        const double x[3] = { vals[j], 0, 0 };
        const double run = eval_at (ctx, parse_ok (ctx, var), x, 0);
        ck_assert_msg (same_bits (folded, run), "%s: folded %.17g, run %.17g",
                       num, folded, run);
      }
  /* The semantics the header states.  */
  volatile double a = 0.1;
  double v;
  ck_assert (sde_expr_is_const (parse_ok (ctx, "0.1^3"), &v));
  ck_assert (same_bits (v, a * a * a));
  ck_assert (sde_expr_is_const (parse_ok (ctx, "0.1^1.5"), &v));
  ck_assert (same_bits (v, pow (a, 1.5)));
  sde_expr_ctx_free (ctx);
}
END_TEST

/* ---- Simplification and printing. ---- */

START_TEST (test_expr_simplify_basic_rules)
{
  sde_expr_ctx *ctx = ctx3 ();
  const sde_expr *x0 = parse_ok (ctx, "x0");
  ck_assert_ptr_eq (parse_ok (ctx, "x0 + 0"), x0);
  ck_assert_ptr_eq (parse_ok (ctx, "0 + x0"), x0);
  ck_assert_ptr_eq (parse_ok (ctx, "x0*1"), x0);
  ck_assert_ptr_eq (parse_ok (ctx, "x0^1"), x0);
  ck_assert_ptr_eq (parse_ok (ctx, "--x0"), x0);
  ck_assert_ptr_eq (parse_ok (ctx, "x0/1"), x0);
  double v;
  ck_assert (sde_expr_is_const (parse_ok (ctx, "x0*0"), &v) && v == 0);
  ck_assert (sde_expr_is_const (parse_ok (ctx, "x0^0"), &v) && v == 1);
  ck_assert (sde_expr_is_const (parse_ok (ctx, "x0 - x0"), &v) && v == 0);
  ck_assert (!sde_expr_is_const (x0, NULL));
  print_is (ctx, parse_ok (ctx, "3*(2*x0)"), "6*x0");
  print_is (ctx, parse_ok (ctx, "(3*x0)*(2*x1)"), "6*(x0*x1)");
  print_is (ctx, parse_ok (ctx, "x1*x0"), "x0*x1");
  print_is (ctx, parse_ok (ctx, "x0*x0*x0"), "x0^3");
  print_is (ctx, parse_ok (ctx, "2*x0 + 3*x0"), "5*x0");
  print_is (ctx, parse_ok (ctx, "x0 + 1 + x1 + 2"), "x0 + x1 + 3");
  print_is (ctx, parse_ok (ctx, "x0 + -2"), "x0 - 2");
  print_is (ctx, parse_ok (ctx, "x0 + -2*x1 + -3*x2"), "x0 - 2*x1 - 3*x2");
  print_is (ctx, parse_ok (ctx, "x0 - -2*x1"), "x0 + 2*x1");
  print_is (ctx, parse_ok (ctx, "x0/4"), "0.25*x0");
  print_is (ctx, parse_ok (ctx, "x0/3"), "x0/3");
  print_is (ctx, parse_ok (ctx, "-(2*x0)"), "-2*x0");
  print_is (ctx, parse_ok (ctx, "(x0^2)^2"), "x0^4");
  print_is (ctx, parse_ok (ctx, "abs(-x0)"), "abs(x0)");
  print_is (ctx, parse_ok (ctx, "1 + 2*3"), "7");
  ck_assert (sde_expr_depends (parse_ok (ctx, "x0*t"), 3));
  ck_assert (!sde_expr_depends (parse_ok (ctx, "x0*t"), 1));
  ck_assert (!sde_expr_depends (parse_ok (ctx, "x1 - x1 + x0"), 1));
  ck_assert (!sde_expr_depends (x0, 99));
  sde_expr_ctx_free (ctx);
}
END_TEST

START_TEST (test_expr_print_shortest_numbers)
{
  sde_expr_ctx *ctx = ctx3 ();
  print_is (ctx, sde_expr_const (ctx, 0.1), "0.1");
  print_is (ctx, sde_expr_const (ctx, 1.0 / 3), "0.3333333333333333");
  print_is (ctx, sde_expr_const (ctx, 0.1 + 0.2), "0.30000000000000004");
  print_is (ctx, sde_expr_const (ctx, 1e300), "1e+300");
  print_is (ctx, sde_expr_const (ctx, -0.0), "-0");
  print_is (ctx, sde_expr_const (ctx, INFINITY), "(1/0)");
  print_is (ctx, sde_expr_const (ctx, -INFINITY), "(-1/0)");
  print_is (ctx, sde_expr_const (ctx, NAN), "(0/0)");
  print_is (ctx, parse_ok (ctx, "(-2)^x0"), "(-2)^x0");
  print_is (ctx, parse_ok (ctx, "-2*x0"), "-2*x0");
  sde_expr_ctx_free (ctx);
}
END_TEST

/* print then parse gives back the very node.  */
START_TEST (test_expr_print_round_trips)
{
  static const char *texts[] = {
    "0.1 + x0",
    "1/3*x0",
    "x0*1e-300 - 1e300*x1",
    "(-2)^x0",
    "x0^-1 + x1^-2.5",
    "x0^(1/3)",
    "2^x0^x1",
    "(2^x0)^x1",
    "-x0^2",
    "(-x0)^x1",
    "(x0 + x1)*(x0 - x1)",
    "x0/(x1*x2)",
    "x0/(x1/x2)",
    "-(x0*x1)",
    "x0 - (x1 - x2)",
    "x0 - (x1 + x2)",
    "x0*(x1*x2)",
    "sin(x0)^2",
    "sign(x0)*abs(x1)",
    "x0 + 1/0",
    "x0*(0/0)",
    "t*exp(-t)*x2",
    "-1 - x0",
    "-x0/x1",
    "x0^-x1",
    "(x0*x1)^2",
    "1e-5*x0 + 123456789012*x1",
    "-(x0 + x1)",
    "-sin(x0)",
    "x0*-0.5",
  };
  sde_expr_ctx *ctx = ctx3 ();
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
    {
      const sde_expr *e = parse_ok (ctx, texts[i]);
      for (size_t v = 0; v < 5; v++)
        {
          /* the expression, then its derivatives */
          const sde_expr *f = v == 0 ? e : sde_expr_diff (ctx, e, v - 1);
          char buf[1024];
          const size_t n = sde_expr_print (ctx, f, buf, sizeof buf);
          ck_assert_uint_eq (n, strlen (buf));
          ck_assert_msg (parse_ok (ctx, buf) == f, "'%s' (from '%s')", buf,
                         texts[i]);
        }
    }
  sde_expr_ctx_free (ctx);
}
END_TEST

START_TEST (test_expr_print_truncates_like_snprintf)
{
  sde_expr_ctx *ctx = ctx3 ();
  const sde_expr *e = parse_ok (ctx, "sin(x0) + x1^2");
  char buf[64];
  memset (buf, 'z', sizeof buf);
  ck_assert_uint_eq (sde_expr_print (ctx, e, buf, 5), 14);
  ck_assert_str_eq (buf, "sin(");
  ck_assert_int_eq (buf[5], 'z');
  ck_assert_uint_eq (sde_expr_print (ctx, e, buf, 0), 14);
  ck_assert_int_eq (buf[0], 's');
  ck_assert_uint_eq (sde_expr_print (ctx, e, buf, 1), 14);
  ck_assert_str_eq (buf, "");
  sde_expr_ctx_free (ctx);
}
END_TEST

/* ---- Differentiation. ---- */

/* d f(x0)/dx0 at 0.4 and -0.3 against the closed forms.  */
START_TEST (test_expr_diff_closed_forms)
{
  static const struct
  {
    const char *f;
    double x, d;
  } cases[] = {
    { "exp(x0)", 0.4, 1.4918246976412703 },
    { "log(x0)", 0.4, 2.5 },
    { "sqrt(x0)", 0.4, 0.7905694150420948 },
    { "sin(x0)", 0.4, 0.9210609940028851 },
    { "cos(x0)", 0.4, -0.3894183423086505 },
    { "tan(x0)", 0.4, 1.178754105810975 },
    { "sinh(x0)", 0.4, 1.081072371838455 },
    { "cosh(x0)", 0.4, 0.4107523258028155 },
    { "tanh(x0)", 0.4, 0.8556387860811777 },
    { "asin(x0)", 0.4, 1.0910894511799618 },
    { "acos(x0)", 0.4, -1.0910894511799618 },
    { "atan(x0)", 0.4, 0.8620689655172413 },
    { "abs(x0)", 0.4, 1 },
    { "abs(x0)", -0.3, -1 },
    { "sign(x0)", -0.3, 0 },
    { "x0^3", -0.3, 0.27 },
    { "x0^-1", -0.3, -11.11111111111111 },
    { "x0^x0", 0.4, 0.05802264752572093 },
    { "2^x0", 0.4, 0.9146131880787755 },
    { "x0^2.5", 0.4, 0.632455532033676 },
    { "1/(1 + x0^2)", -0.3, 0.505007995959936 },
  };
  sde_expr_ctx *ctx = ctx3 ();
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      const sde_expr *d = sde_expr_diff (ctx, parse_ok (ctx, cases[i].f), 0);
      ck_assert_ptr_nonnull (d);
      const double x[3] = { cases[i].x, 0, 0 };
      ck_assert_msg (fabs (eval_at (ctx, d, x, 0) - cases[i].d)
                         <= 1e-12 * fmax (1, fabs (cases[i].d)),
                     "d %s at %g: %.17g, want %.17g", cases[i].f, cases[i].x,
                     eval_at (ctx, d, x, 0), cases[i].d);
    }
  sde_expr_ctx_free (ctx);
}
END_TEST

static double
urand (unsigned long long *s)
{
  *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
  return (double)(*s >> 11) / 9007199254740992.0;
}

static void
fill (double *x, size_t P, size_t ldx, unsigned long long seed)
{
  for (size_t i = 0; i < 3; i++)
    for (size_t p = 0; p < ldx; p++)
      x[i * ldx + p] = p < P ? 6 * urand (&seed) - 3 : NAN;
}

static const char *fd_texts[] = {
  "exp(sin(x0)*x1)/(1 + x2^2)",
  "log(1 + x0^2)*sqrt(x1^2 + 1) - x2^3",
  "x0^x1 + x1^-2 + x2^0.5",
  "tan(x0/3)*atan(x1) - asin(x2/4)*acos(x0/5)",
  "sinh(x0)*cosh(x1) + tanh(x2*x0)",
  "abs(x0 - 3)*x1^3 + 2^x2",
  "(x0^2 - 1)^2/4 + 0.3*x0*x1 - x1/x2",
  "t*x0^2*x1 + sin(t*x2)",
  "1/(x0 + x1*x2)^3 - sqrt(x0*x1*x2)",
};

/* Gradients and Hessians against central differences at random points in
   [0.5, 1.5]^3 (inside every domain used).  */
START_TEST (test_expr_diff_matches_finite_differences)
{
  unsigned long long seed = 12345;
  sde_expr_ctx *ctx = ctx3 ();
  for (size_t i = 0; i < sizeof fd_texts / sizeof fd_texts[0]; i++)
    {
      const sde_expr *f = parse_ok (ctx, fd_texts[i]);
      for (int rep = 0; rep < 5; rep++)
        {
          double x[3], t = 0.5 + urand (&seed);
          for (int k = 0; k < 3; k++)
            x[k] = 0.5 + urand (&seed);
          for (size_t v = 0; v < 3; v++)
            {
              const sde_expr *g = sde_expr_diff (ctx, f, v);
              const double h = 1e-5;
              double xp[3], xm[3];
              memcpy (xp, x, sizeof x);
              memcpy (xm, x, sizeof x);
              xp[v] += h;
              xm[v] -= h;
              const double fd
                  = (eval_at (ctx, f, xp, t) - eval_at (ctx, f, xm, t))
                    / (2 * h);
              ck_assert_msg (fabs (eval_at (ctx, g, x, t) - fd)
                                 <= 1e-7 * fmax (1, fabs (fd)),
                             "d/dx%zu %s", v, fd_texts[i]);
              for (size_t w = 0; w < 3; w++)
                {
                  const sde_expr *hw = sde_expr_diff (ctx, g, w);
                  double yp[3], ym[3];
                  memcpy (yp, x, sizeof x);
                  memcpy (ym, x, sizeof x);
                  yp[w] += h;
                  ym[w] -= h;
                  const double fd2
                      = (eval_at (ctx, g, yp, t) - eval_at (ctx, g, ym, t))
                        / (2 * h);
                  ck_assert_msg (fabs (eval_at (ctx, hw, x, t) - fd2)
                                     <= 1e-6 * fmax (1, fabs (fd2)),
                                 "d2/dx%zu dx%zu %s", v, w, fd_texts[i]);
                }
            }
        }
      /* d/dt through the scalar variable.  */
      const sde_expr *dt = sde_expr_diff (ctx, f, 3);
      const double x[3] = { 0.7, 1.1, 0.9 }, h = 1e-5, t = 0.8;
      const double fd
          = (eval_at (ctx, f, x, t + h) - eval_at (ctx, f, x, t - h)) / (2 * h);
      ck_assert (fabs (eval_at (ctx, dt, x, t) - fd)
                 <= 1e-7 * fmax (1, fabs (fd)));
    }
  sde_expr_ctx_free (ctx);
}
END_TEST

/* The Hessian of a quadratic is constant nodes with the exact entries.  */
START_TEST (test_expr_diff_quadratic_hessian_is_constant)
{
  const double H[3][3] = { { 2, 0.5, 0 }, { 0.5, 3, 1 }, { 0, 1, 4 } };
  sde_expr_ctx *ctx = ctx3 ();
  const sde_expr *L = parse_ok (
      ctx, "0.5*(2*x0^2 + 3*x1^2 + 4*x2^2) + 0.5*x0*x1 + x1*x2 + 0.1*x0 - "
           "0.2*x2 + 7");
  for (size_t i = 0; i < 3; i++)
    {
      const sde_expr *g = sde_expr_diff (ctx, L, i);
      ck_assert (!sde_expr_is_const (g, NULL));
      for (size_t j = 0; j < 3; j++)
        {
          double v;
          ck_assert (sde_expr_is_const (sde_expr_diff (ctx, g, j), &v));
          ck_assert_double_eq (v, H[i][j]);
        }
    }
  print_is (ctx, sde_expr_diff (ctx, L, 1), "3*x1 + 0.5*x0 + x2");
  sde_expr_ctx_free (ctx);
}
END_TEST

START_TEST (test_expr_diff_polynomials_are_clean)
{
  sde_expr_ctx *ctx = ctx3 ();
  const sde_expr *dw = parse_ok (ctx, "(x0^2 - 1)^2/4");
  print_is (ctx, sde_expr_diff (ctx, dw, 0), "(x0^2 - 1)*x0");
  print_is (ctx, sde_expr_diff (ctx, sde_expr_diff (ctx, dw, 0), 0),
            "3*x0^2 - 1");
  const sde_expr *c = parse_ok (ctx, "x0^3 - x0");
  print_is (ctx, sde_expr_diff (ctx, c, 0), "3*x0^2 - 1");
  print_is (ctx, sde_expr_diff (ctx, sde_expr_diff (ctx, c, 0), 0), "6*x0");
  print_is (ctx, sde_expr_diff (ctx, parse_ok (ctx, "x0^4*x1"), 0),
            "4*(x0^3*x1)");
  print_is (ctx, sde_expr_diff (ctx, parse_ok (ctx, "exp(x0*x1)"), 1),
            "exp(x0*x1)*x0");
  double v;
  ck_assert (sde_expr_is_const (sde_expr_diff (ctx, c, 1), &v) && v == 0);
  clear_reason ();
  ck_assert_ptr_null (sde_expr_diff (ctx, c, 4));
  ck_assert_int_eq (last_code, GSL_EINVAL);
  sde_expr_ctx_free (ctx);
}
END_TEST

/* A 20000-term sum: differentiation, printing and compilation use no
   recursion proportional to the depth.  */
START_TEST (test_expr_deep_sum)
{
  const int n = 20000;
  char *text = malloc ((size_t)n * 32), *buf = malloc ((size_t)n * 40);
  size_t len = 0;
  for (int k = 1; k <= n; k++)
    len += (size_t)sprintf (text + len, "%ssin(x0 + %d)", k > 1 ? " + " : "",
                            k);
  sde_expr_ctx *ctx = ctx3 ();
  const sde_expr *e = parse_ok (ctx, text);
  const sde_expr *d = sde_expr_diff (ctx, e, 0);
  ck_assert_ptr_nonnull (d);
  const size_t plen = sde_expr_print (ctx, d, buf, (size_t)n * 40);
  ck_assert_uint_lt (plen, (size_t)n * 40);
  ck_assert_ptr_eq (parse_ok (ctx, buf), d);
  const sde_expr *set[2] = { e, d };
  sde_expr_prog *pg = sde_expr_compile (ctx, set, 2);
  ck_assert_ptr_nonnull (pg);
  sde_expr_stats st;
  sde_expr_prog_stats (pg, &st);
  ck_assert_uint_le (st.nreg, 6);
  double x[3] = { 0.25, 0, 0 }, out[2], want[2] = { 0, 0 };
  for (int k = 1; k <= n; k++)
    want[0] += sin (0.25 + k), want[1] += cos (0.25 + k);
  ck_assert_int_eq (sde_expr_prog_eval1 (pg, x, NULL, out, NULL), 0);
  ck_assert_close (out[0], want[0], 1e-12);
  ck_assert_close (out[1], want[1], 1e-12);
  sde_expr_prog_free (pg);
  sde_expr_ctx_free (ctx);
  free (text);
  free (buf);
}
END_TEST

/* ---- Sharing and compilation. ---- */

START_TEST (test_expr_hash_consing_shares_nodes)
{
  sde_expr_ctx *ctx = ctx3 ();
  const sde_expr *a = parse_ok (ctx, "sin(x0*x1) + x2");
  ck_assert_ptr_eq (parse_ok (ctx, "sin(x0 * x1)+x2"), a);
  ck_assert_ptr_eq (parse_ok (ctx, "sin(x1*x0) + x2"), a);
  ck_assert_ptr_eq (
      sde_expr_add (ctx,
                    sde_expr_func (ctx, "sin",
                                   sde_expr_mul (ctx, sde_expr_var (ctx, 0),
                                                 sde_expr_var (ctx, 1))),
                    sde_expr_var (ctx, 2)),
      a);
  sde_expr_ctx_free (ctx);
}
END_TEST

/* exp(x0 x1) and its gradient: x0*x1 and exp once each, then two
   products, with one scratch row.  */
START_TEST (test_expr_compile_shares_subexpressions)
{
  sde_expr_ctx *ctx = ctx3 ();
  const sde_expr *L = parse_ok (ctx, "exp(x0*x1)");
  const sde_expr *set[3]
      = { L, sde_expr_diff (ctx, L, 0), sde_expr_diff (ctx, L, 1) };
  sde_expr_prog *pg = sde_expr_compile (ctx, set, 3);
  sde_expr_stats st;
  sde_expr_prog_stats (pg, &st);
  ck_assert_uint_eq (st.nout, 3);
  ck_assert_uint_eq (st.nvector, 4);
  ck_assert_uint_eq (st.nscalar, 0);
  ck_assert_uint_eq (st.ncopy, 0);
  ck_assert_uint_eq (st.nreg, 1);
  const double x[3] = { 0.3, 0.7, 0 };
  double out[3];
  ck_assert_int_eq (sde_expr_prog_eval1 (pg, x, NULL, out, NULL), 0);
  ck_assert_double_eq (out[0], exp (0.3 * 0.7));
  ck_assert_double_eq (out[1], exp (0.3 * 0.7) * 0.7);
  ck_assert_double_eq (out[2], exp (0.3 * 0.7) * 0.3);
  sde_expr_prog_free (pg);

  /* Rosenbrock's loss, gradient and Hessian together take fewer loops
     than compiled apart.  */
  const sde_expr *R = parse_ok (ctx, "(1 - x0)^2 + 100*(x1 - x0^2)^2");
  const sde_expr *all[7];
  all[0] = R;
  for (size_t i = 0; i < 2; i++)
    {
      all[1 + i] = sde_expr_diff (ctx, R, i);
      for (size_t j = 0; j < 2; j++)
        all[3 + 2 * i + j] = sde_expr_diff (ctx, all[1 + i], j);
    }
  size_t apart = 0;
  for (size_t k = 0; k < 7; k++)
    {
      pg = sde_expr_compile (ctx, &all[k], 1);
      sde_expr_prog_stats (pg, &st);
      apart += st.nvector;
      sde_expr_prog_free (pg);
    }
  pg = sde_expr_compile (ctx, all, 7);
  sde_expr_prog_stats (pg, &st);
  ck_assert_uint_lt (st.nvector + 4, apart);
  ck_assert_uint_eq (st.ncopy, 2); /* H10 repeats H01; H11 is 200 */
  sde_expr_prog_free (pg);
  sde_expr_ctx_free (ctx);
}
END_TEST

/* u + c*v with a scalar c takes one loop, with the bits of two: the
   product, made an output too, is not fused, and the sums agree.  */
START_TEST (test_expr_compile_fuses_scaled_terms)
{
  sde_expr_ctx *ctx = ctx3 ();
  const sde_expr *e[2]
      = { parse_ok (ctx, "x0 + 2*x1 - 3*x2 + t*x0"), parse_ok (ctx, "2*x1") };
  sde_expr_prog *one = sde_expr_compile (ctx, e, 1);
  sde_expr_prog *two = sde_expr_compile (ctx, e, 2);
  sde_expr_stats st;
  sde_expr_prog_stats (one, &st);
  ck_assert_uint_eq (st.nvector, 3);
  sde_expr_prog_stats (two, &st);
  ck_assert_uint_eq (st.nvector, 4);
  double x[3 * 256], o1[256], o2[2 * 256], work[4 * 256];
  const double t = 0.3;
  fill (x, 256, 256, 11);
  ck_assert_int_eq (sde_expr_prog_eval (one, 256, x, 256, &t, o1, 256, work),
                    0);
  ck_assert_int_eq (sde_expr_prog_eval (two, 256, x, 256, &t, o2, 256, work),
                    0);
  ck_assert_int_eq (memcmp (o1, o2, sizeof o1), 0);
  for (size_t p = 0; p < 256; p++)
    {
      volatile double m1 = 2 * x[256 + p], m2 = 3 * x[512 + p];
      volatile double m3 = x[p] * t, s1 = x[p] + m1, s2 = s1 - m2;
      ck_assert (same_bits (o1[p], s2 + m3));
    }
  sde_expr_prog_free (one);
  sde_expr_prog_free (two);
  sde_expr_ctx_free (ctx);
}
END_TEST

/* c*(u*v) of two rows with a scalar c takes one loop, with the bits of
   two; inside a sum it stays a product of its own (the sum fuses nothing
   more), and made an output too it is not fused.  */
START_TEST (test_expr_compile_fuses_scaled_products)
{
  sde_expr_ctx *ctx = ctx3 ();
  const sde_expr *e[3]
      = { parse_ok (ctx, "2*((x0^2 + x1^2 - 1)*x0)"),
          parse_ok (ctx, "x2 + t*(x0*x1)"), parse_ok (ctx, "x0*x1") };
  sde_expr_stats st;
  sde_expr_prog *g = sde_expr_compile (ctx, e, 1);
  sde_expr_prog_stats (g, &st);
  ck_assert_uint_eq (st.nvector, 5); /* x0^2, x1^2, +, - 1, 2*(s*x0) */
  sde_expr_prog *sum = sde_expr_compile (ctx, e + 1, 1);
  sde_expr_prog_stats (sum, &st);
  ck_assert_uint_eq (st.nvector, 2);
  sde_expr_prog *both = sde_expr_compile (ctx, e + 1, 2);
  sde_expr_prog_stats (both, &st);
  ck_assert_uint_eq (st.nvector, 2); /* x0*x1 an output, then x2 + t*it */
  double x[3 * 256], o1[256], o2[256], o3[2 * 256], work[4 * 256];
  const double t = 0.3;
  fill (x, 256, 256, 13);
  ck_assert_int_eq (sde_expr_prog_eval (g, 256, x, 256, &t, o1, 256, work), 0);
  ck_assert_int_eq (sde_expr_prog_eval (sum, 256, x, 256, &t, o2, 256, work),
                    0);
  ck_assert_int_eq (sde_expr_prog_eval (both, 256, x, 256, &t, o3, 256, work),
                    0);
  ck_assert_int_eq (memcmp (o2, o3, sizeof o2), 0);
  for (size_t p = 0; p < 256; p++)
    {
      const double a = x[p], b = x[256 + p], c = x[512 + p];
      volatile double a2 = a * a, b2 = b * b, s = a2 + b2, s1 = s - 1;
      volatile double m = s1 * a, ab = a * b, tab = t * ab;
      ck_assert (same_bits (o1[p], 2 * m));
      ck_assert (same_bits (o2[p], c + tab));
      ck_assert (same_bits (o3[256 + p], ab));
    }
  sde_expr_prog_free (g);
  sde_expr_prog_free (sum);
  sde_expr_prog_free (both);
  sde_expr_ctx_free (ctx);
}
END_TEST

/* Registers are reused once their last reader has run.  */
START_TEST (test_expr_compile_reuses_registers)
{
  char text[4096];
  size_t n = 0;
  for (int k = 1; k <= 40; k++)
    n += (size_t)snprintf (text + n, sizeof text - n, "%ssin(%d*x0)*x1^%d",
                           k > 1 ? " + " : "", k, k % 5 + 2);
  sde_expr_ctx *ctx = ctx3 ();
  const sde_expr *e = parse_ok (ctx, text);
  sde_expr_prog *pg = sde_expr_compile (ctx, &e, 1);
  sde_expr_stats st;
  sde_expr_prog_stats (pg, &st);
  ck_assert_uint_ge (st.nvector, 150);
  ck_assert_uint_le (st.nreg, 8);
  ck_assert_uint_eq (sde_expr_prog_work (pg, 256), st.nreg * 256);
  sde_expr_prog_free (pg);
  sde_expr_ctx_free (ctx);
}
END_TEST

static const char *mixed[] = {
  "x0^3 - x0",
  "exp(sin(x0)*x1)/(1 + x2^2)",
  "t*x0 + sin(t)",
  "sqrt(abs(x1)) + x2^-1 + x0^4 - x1^-2 + abs(x2)^0.5 + abs(x0)^-0.5",
  "abs(x1)^1.7 + 2^x0 + x1^x0 + t^x0 + x0^t",
  "tanh(x0)*atan(x1) - asin(x2/9) + log(abs(x0)) + sign(x1)*cosh(x2)",
  "3.5",
  "x1",
  "sin(t)*t",
  "x0^3 - x0",
  "tan(x0) + sinh(x1) + acos(x2/9) + exp(-x0^2/2)/sqrt(2*pi)",
};
#define NMIXED (sizeof mixed / sizeof mixed[0])

/* Block evaluation, path by path, is bitwise the one-point evaluation,
   for P = 1, 7, 256 with leading dimensions above P.  */
START_TEST (test_expr_eval_block_matches_point)
{
  sde_expr_ctx *ctx = ctx3 ();
  const sde_expr *e[NMIXED];
  for (size_t k = 0; k < NMIXED; k++)
    e[k] = parse_ok (ctx, mixed[k]);
  sde_expr_prog *pg = sde_expr_compile (ctx, e, NMIXED);
  sde_expr_ctx_free (ctx); /* the program stands alone */
  const size_t Ps[] = { 1, 7, 256 };
  const double t = 0.625;
  for (size_t ip = 0; ip < 3; ip++)
    {
      const size_t P = Ps[ip], ldx = P + 3, ldo = P + 5;
      double *x = malloc (3 * ldx * sizeof *x);
      double *out = malloc (NMIXED * ldo * sizeof *out);
      double *work = malloc ((sde_expr_prog_work (pg, P) + 1) * sizeof *work);
      fill (x, P, ldx, 99);
      for (size_t i = 0; i < NMIXED * ldo; i++)
        out[i] = -12345;
      ck_assert_int_eq (sde_expr_prog_eval (pg, P, x, ldx, &t, out, ldo, work),
                        0);
      for (size_t p = 0; p < P; p++)
        {
          double xp[3] = { x[p], x[ldx + p], x[2 * ldx + p] }, o1[NMIXED];
          ck_assert_int_eq (sde_expr_prog_eval1 (pg, xp, &t, o1, NULL), 0);
          for (size_t k = 0; k < NMIXED; k++)
            ck_assert_msg (same_bits (out[k * ldo + p], o1[k]),
                           "P=%zu p=%zu %s: %.17g vs %.17g", P, p, mixed[k],
                           out[k * ldo + p], o1[k]);
        }
      /* The padding beyond P is untouched.  */
      for (size_t k = 0; k < NMIXED; k++)
        for (size_t p = P; p < ldo; p++)
          ck_assert_double_eq (out[k * ldo + p], -12345);
      free (x);
      free (out);
      free (work);
    }
  sde_expr_prog_free (pg);
}
END_TEST

/* Values against hand-written C: outputs that are constants, scalar-only
   nodes and variables are broadcast or copied.  */
START_TEST (test_expr_eval_values_and_broadcasts)
{
  sde_expr_ctx *ctx = ctx3 ();
  const sde_expr *e[NMIXED];
  for (size_t k = 0; k < NMIXED; k++)
    e[k] = parse_ok (ctx, mixed[k]);
  sde_expr_prog *pg = sde_expr_compile (ctx, e, NMIXED);
  sde_expr_stats st;
  sde_expr_prog_stats (pg, &st);
  ck_assert_uint_eq (st.ncopy, 4);   /* 3.5, x1, sin(t)*t, the repeat */
  ck_assert_uint_ge (st.nscalar, 2); /* sin(t), sin(t)*t */
  const size_t P = 16;
  double x[3 * 16], out[NMIXED * 16], t = 0.625;
  double *work = malloc (sde_expr_prog_work (pg, P) * sizeof *work);
  fill (x, P, P, 7);
  ck_assert_int_eq (sde_expr_prog_eval (pg, P, x, P, &t, out, P, work), 0);
  for (size_t p = 0; p < P; p++)
    {
      const double a = x[p], b = x[P + p], c = x[2 * P + p];
      ck_assert_close (out[p], a * a * a - a, 1e-14);
      ck_assert_close (out[P + p], exp (sin (a) * b) / (1 + c * c), 1e-14);
      ck_assert_close (out[2 * P + p], t * a + sin (t), 1e-14);
      ck_assert_double_eq (out[6 * P + p], 3.5);
      ck_assert_double_eq (out[7 * P + p], b);
      ck_assert_double_eq (out[8 * P + p], sin (t) * t);
      ck_assert (same_bits (out[9 * P + p], out[p]));
      ck_assert_close (out[10 * P + p],
                       tan (a) + sinh (b) + acos (c / 9)
                           + exp (-a * a / 2) / sqrt (2 * M_PI),
                       1e-13);
    }
  /* Bad arguments are refused.  */
  clear_reason ();
  ck_assert_int_eq (sde_expr_prog_eval (pg, P, x, P - 1, &t, out, P, work),
                    GSL_EINVAL);
  ck_assert_int_eq (sde_expr_prog_eval (pg, P, x, P, &t, out, P - 1, work),
                    GSL_EINVAL);
  ck_assert_int_eq (sde_expr_prog_eval (pg, P, x, P, NULL, out, P, work),
                    GSL_EINVAL);
  ck_assert_int_eq (sde_expr_prog_eval (pg, P, x, P, &t, out, P, NULL),
                    GSL_EINVAL);
  ck_assert_int_eq (sde_expr_prog_eval (pg, 0, NULL, 0, NULL, NULL, 0, NULL),
                    0);
  free (work);
  sde_expr_prog_free (pg);
  sde_expr_prog_free (NULL);
  sde_expr_ctx_free (ctx);
}
END_TEST

typedef struct
{
  const sde_expr_prog *pg;
  const double *x;
  double *out;
} job;

static void *
worker (void *arg)
{
  job *j = arg;
  const double t = 0.625;
  double *work = malloc (sde_expr_prog_work (j->pg, 256) * sizeof *work);
  for (int rep = 0; rep < 50; rep++)
    sde_expr_prog_eval (j->pg, 256, j->x, 256, &t, j->out, 256, work);
  free (work);
  return NULL;
}

/* One program, four threads, separate scratch: the same bits.  */
START_TEST (test_expr_eval_threads_share_a_program)
{
  sde_expr_ctx *ctx = ctx3 ();
  const sde_expr *e[NMIXED];
  for (size_t k = 0; k < NMIXED; k++)
    e[k] = parse_ok (ctx, mixed[k]);
  sde_expr_prog *pg = sde_expr_compile (ctx, e, NMIXED);
  double *x = malloc (3 * 256 * sizeof *x);
  double *out = malloc (5 * NMIXED * 256 * sizeof *out);
  fill (x, 256, 256, 3);
  job jobs[5];
  pthread_t th[4];
  for (int i = 0; i < 5; i++)
    jobs[i] = (job){ pg, x, out + (size_t)i * NMIXED * 256 };
  worker (&jobs[4]);
  for (int i = 0; i < 4; i++)
    ck_assert_int_eq (pthread_create (&th[i], NULL, worker, &jobs[i]), 0);
  for (int i = 0; i < 4; i++)
    pthread_join (th[i], NULL);
  for (int i = 0; i < 4; i++)
    ck_assert_int_eq (memcmp (out + (size_t)i * NMIXED * 256,
                              out + 4 * NMIXED * 256,
                              NMIXED * 256 * sizeof *out),
                      0);
  free (x);
  free (out);
  sde_expr_prog_free (pg);
  sde_expr_ctx_free (ctx);
}
END_TEST

/* |grad L|^2 and the Laplacian built from nodes, without text.  */
START_TEST (test_expr_builders_make_derived_quantities)
{
  sde_expr_ctx *ctx = ctx3 ();
  const sde_expr *L = parse_ok (ctx, "x0^2*x1 + sin(x2)");
  const sde_expr *g2 = sde_expr_const (ctx, 0), *lap = g2;
  for (size_t i = 0; i < 3; i++)
    {
      const sde_expr *g = sde_expr_diff (ctx, L, i);
      g2 = sde_expr_add (ctx, g2,
                         sde_expr_pow (ctx, g, sde_expr_const (ctx, 2)));
      lap = sde_expr_add (ctx, lap, sde_expr_diff (ctx, g, i));
    }
  ck_assert_ptr_nonnull (g2);
  ck_assert_ptr_nonnull (lap);
  const double x[3] = { 0.5, -1.5, 0.25 };
  const double gx[3] = { 2 * 0.5 * -1.5, 0.25, cos (0.25) };
  ck_assert_close (eval_at (ctx, g2, x, 0),
                   gx[0] * gx[0] + gx[1] * gx[1] + gx[2] * gx[2], 1e-14);
  ck_assert_close (eval_at (ctx, lap, x, 0), 2 * -1.5 - sin (0.25), 1e-14);
  print_is (ctx, lap, "2*x1 - sin(x2)");
  ck_assert_ptr_eq (sde_expr_sub (ctx, sde_expr_var (ctx, 1),
                                  sde_expr_neg (ctx, sde_expr_var (ctx, 0))),
                    parse_ok (ctx, "x0 + x1"));
  ck_assert_ptr_eq (
      sde_expr_div (ctx, sde_expr_var (ctx, 3), sde_expr_const (ctx, 3)),
      parse_ok (ctx, "t/3"));
  /* NULL operands pass through without a new report.  */
  clear_reason ();
  ck_assert_ptr_null (sde_expr_add (ctx, NULL, L));
  ck_assert_ptr_null (sde_expr_func (ctx, "sin", NULL));
  ck_assert_int_eq (last_code, 0);
  ck_assert_ptr_null (sde_expr_func (ctx, "nope", L));
  ck_assert_int_eq (last_code, GSL_EINVAL);
  clear_reason ();
  ck_assert_ptr_null (sde_expr_var (ctx, 4));
  ck_assert_int_eq (last_code, GSL_EINVAL);
  /* Nodes of another context are refused.  */
  sde_expr_ctx *other = ctx3 ();
  clear_reason ();
  ck_assert_ptr_null (sde_expr_mul (other, L, sde_expr_var (other, 0)));
  ck_assert_int_eq (last_code, GSL_EINVAL);
  ck_assert_ptr_null (sde_expr_compile (other, &L, 1));
  sde_expr_ctx_free (other);
  sde_expr_ctx_free (ctx);
}
END_TEST

/* expr:TEXT observables: a list mixing them with the catalog's, evaluated
   over a block against the formulas written here (bitwise: the compiled
   operations are the IEEE ones and libm's), and the list's errors, each a
   one-line reason naming the observable, with nothing left to free (the
   sanitizer build checks the releases).  */
START_TEST (test_expr_observables)
{
  sde_observable obs[8];
  const int n = sde_observable_parse (
      "x0,expr:x0^2*x1,expr:exp(-x1)*cos(3*x0),norm2", 2, NULL, obs, 8);
  ck_assert_int_eq (n, 4);
  ck_assert_str_eq (obs[1].name, "expr:x0^2*x1");
  ck_assert_int_eq (obs[2].kind, SDE_OBS_EXPR);
  enum
  {
    P = 13
  };
  double x[2 * P], out[P];
  for (int p = 0; p < P; p++)
    x[p] = 0.3 * p - 1.7, x[P + p] = 0.1 * p * p - 0.4;
  for (int k = 1; k <= 2; k++)
    {
      double *work
          = malloc (sizeof (double) * sde_observable_work (&obs[k], 2) * P);
      ck_assert_int_eq (sde_observable_apply (&obs[k], P, x, out, work), 0);
      for (int p = 0; p < P; p++)
        {
          const double a = x[p], b = x[P + p];
          const double want = k == 1 ? a * a * b : exp (-b) * cos (3 * a);
          ck_assert_double_eq (out[p], want);
        }
      free (work);
    }
  sde_observable_release (obs, (size_t)n);
  const struct
  {
    const char *list, *reason;
  } bad[] = {
    { "x0,expr:x0+x2", "observable expr:x0+x2: unknown variable 'x2'" },
    { "expr:", "observable expr: the expression is empty" },
    { "expr:x0^2,x1,expr:x0^2", "observable expr:x0^2 appears twice" },
    { "expr:x0*(1+x1", "observable expr:x0*(1+x1: " },
    { "expr:x0,expr:sin(x1)x0", "observable expr:sin(x1)x0: " },
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      clear_reason ();
      ck_assert_int_eq (sde_observable_parse (bad[i].list, 2, NULL, obs, 8),
                        -1);
      ck_assert_msg (strstr (last_reason, bad[i].reason) != NULL, "%s: %s",
                     bad[i].list, last_reason);
      ck_assert_ptr_null (strchr (last_reason, '\n'));
    }
  char big[400] = "expr:x0";
  for (int i = 0; i < 60; i++)
    strcat (big, "+x1");
  clear_reason ();
  ck_assert_int_eq (sde_observable_parse (big, 2, NULL, obs, 8), -1);
  ck_assert_ptr_nonnull (strstr (last_reason, "longer than 154 characters"));
}
END_TEST

static Suite *
expr_suite (void)
{
  Suite *s = suite_create ("expr");
  TCase *tc = tcase_create ("core");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_expr_parse_precedence_and_associativity);
  tcase_add_test (tc, test_expr_observables);
  tcase_add_test (tc, test_expr_parse_numbers_and_constants);
  tcase_add_test (tc, test_expr_reject_unknown_character);
  tcase_add_test (tc, test_expr_reject_newline_escaped);
  tcase_add_test (tc, test_expr_reject_missing_operand);
  tcase_add_test (tc, test_expr_reject_unknown_names);
  tcase_add_test (tc, test_expr_reject_empty);
  tcase_add_test (tc, test_expr_reject_unbalanced);
  tcase_add_test (tc, test_expr_reject_malformed_numbers);
  tcase_add_test (tc, test_expr_reject_trailing_text);
  tcase_add_test (tc, test_expr_reject_deep_nesting);
  tcase_add_test (tc, test_expr_reject_prints_nothing);
  tcase_add_test (tc, test_expr_parse_why_returns_reason);
  tcase_add_test (tc, test_expr_ctx_names_checked);
  tcase_add_test (tc, test_expr_functions_match_libm);
  tcase_add_test (tc, test_expr_fold_matches_runtime);
  tcase_add_test (tc, test_expr_simplify_basic_rules);
  tcase_add_test (tc, test_expr_print_shortest_numbers);
  tcase_add_test (tc, test_expr_print_round_trips);
  tcase_add_test (tc, test_expr_print_truncates_like_snprintf);
  tcase_add_test (tc, test_expr_diff_closed_forms);
  tcase_add_test (tc, test_expr_diff_matches_finite_differences);
  tcase_add_test (tc, test_expr_diff_quadratic_hessian_is_constant);
  tcase_add_test (tc, test_expr_diff_polynomials_are_clean);
  tcase_add_test (tc, test_expr_deep_sum);
  tcase_add_test (tc, test_expr_hash_consing_shares_nodes);
  tcase_add_test (tc, test_expr_compile_shares_subexpressions);
  tcase_add_test (tc, test_expr_compile_fuses_scaled_terms);
  tcase_add_test (tc, test_expr_compile_fuses_scaled_products);
  tcase_add_test (tc, test_expr_compile_reuses_registers);
  tcase_add_test (tc, test_expr_eval_block_matches_point);
  tcase_add_test (tc, test_expr_eval_values_and_broadcasts);
  tcase_add_test (tc, test_expr_eval_threads_share_a_program);
  tcase_add_test (tc, test_expr_builders_make_derived_quantities);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  gsl_set_error_handler (capture);
  return testutil_run (expr_suite ());
}
