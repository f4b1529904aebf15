/* sde-sim.c: simulate an SDE from the catalog with a chosen scheme and
   print the mean and variance of X at a few times, with standard errors and,
   where the law is known, the exact values.  */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "cli.h"
#include "sdekit/report.h"
#include "sdekit/rng.h"
#include "sdekit/stepper.h"
#include "sdekit/system.h"

enum
{
  OPT_RNG = 256,
  OPT_LIST_SCHEMES,
  OPT_LIST_SDES
};

static const cli_option options[] = {
  { "sde", 's', "SPEC", "the SDE, NAME[:KEY=VALUE,...] from --list-sdes",
    "gbm" },
  { "scheme", 'm', "NAME", "integration scheme from --list-schemes", "em" },
  { "step", 'k', "H", "step size; must divide the horizon", "0.01" },
  { "horizon", 'T', "T", "final time", "1" },
  { "paths", 'n', "N", "number of sample paths", "100000" },
  { "times", 't', "LIST",
    "comma-separated output times, each a multiple of the step",
    "T/4,T/2,3T/4,T" },
  { "seed", 'S', "SEED", "seed of the random streams", "1" },
  { "rng", OPT_RNG, "NAME", "philox (counter-based) or any GSL generator name",
    "philox" },
  { "format", 'f', "FMT", "table format: text, csv, md, latex or json",
    "text" },
  { "output", 'o', "FILE",
    "write the table to FILE (atomically) instead of stdout", NULL },
  { "list-schemes", OPT_LIST_SCHEMES, NULL, "list the schemes and exit", NULL },
  { "list-sdes", OPT_LIST_SDES, NULL,
    "list the SDEs with their parameters and exit", NULL },
  { "help", CLI_HELP, NULL, "show this help and exit", NULL },
  { "version", CLI_VERSION, NULL, "show the version and exit", NULL },
  { NULL, 0, NULL, NULL, NULL },
};

static const cli_tool tool = {
  "sde-sim",
  "Simulate an Ito SDE dX = a dt + b dW from the catalog and print the mean "
  "and variance of X at the output times, with standard errors (SE) and, "
  "where the law is known, the exact values and the bias in SE units.",
  "Exit status: 0 on success, 1 on a runtime failure, 2 on bad usage.",
  options,
};

static void
list_schemes (void)
{
  printf ("%-12s %-7s %-5s %s\n", "scheme", "strong", "weak", "description");
  for (const sde_stepper_type *const *t = sde_stepper_types (); *t; t++)
    {
      char strong[16] = "-";
      if ((*t)->strong_order > 0)
        snprintf (strong, sizeof strong, "%g", (*t)->strong_order);
      printf ("%-12s %-7s %-5g %s\n", (*t)->name, strong, (*t)->weak_order,
              (*t)->description);
    }
}

static void
list_sdes (void)
{
  const char *desc, *params;
  for (size_t i = 0; sde_system_name (i, &desc, &params); i++)
    printf ("%-6s %-28s %s\n", sde_system_name (i, NULL, NULL), params, desc);
}

/* Running sums of (x - x0)^k, k = 1..4, at one output time.  */
typedef struct
{
  double s[5];
  long long diverged;
} sums;

int
main (int argc, char **argv)
{
  const char *spec = "gbm", *scheme = "em", *rngname = "philox";
  const char *times_arg = NULL, *output = NULL;
  double h = 0.01, T = 1.0;
  uint64_t npaths = 100000, seed = 1;
  int fmt = SDE_FORMAT_TEXT;
  const char *arg;
  int c;

  cli_init (&tool, argc, argv);
  while ((c = cli_next (argc, argv, &arg)) != -1)
    switch (c)
      {
      case 's':
        spec = arg;
        break;
      case 'm':
        scheme = arg;
        break;
      case 'k':
        h = cli_double ("step", arg, 0, 1, INFINITY, 0);
        break;
      case 'T':
        T = cli_double ("horizon", arg, 0, 1, 1e12, 0);
        break;
      case 'n':
        npaths = cli_uint ("paths", arg, 2, UINT64_C (0xffffffff));
        break;
      case 't':
        times_arg = arg;
        break;
      case 'S':
        seed = cli_uint ("seed", arg, 0, UINT64_MAX);
        break;
      case OPT_RNG:
        rngname = arg;
        break;
      case 'f':
        fmt = sde_report_format_find (arg);
        if (fmt < 0)
          cli_die (CLI_USAGE, "--format=%s: use text, csv, md, latex or json",
                   arg);
        break;
      case 'o':
        output = arg;
        break;
      case OPT_LIST_SCHEMES:
        list_schemes ();
        return CLI_OK;
      case OPT_LIST_SDES:
        list_sdes ();
        return CLI_OK;
      default:
        cli_die (CLI_USAGE, "unhandled option (see --help)");
      }

  /* Validate everything before any output exists.  */
  const sde_stepper_type *type = sde_stepper_type_find (scheme);
  if (type == NULL)
    cli_die (CLI_USAGE, "--scheme=%s: unknown scheme (see --list-schemes)",
             scheme);
  sde_system_named *sys = sde_system_alloc (spec);
  if (sys == NULL)
    cli_die (CLI_USAGE, "--sde=%s: %s", spec, cli_reason ());
  if (h > T)
    cli_die (CLI_USAGE, "--step=%g is larger than --horizon=%g", h, T);
  double nstepsd = T / h;
  size_t nsteps = (size_t)llround (nstepsd);
  if (fabs (nstepsd - (double)nsteps) > 1e-9 * nstepsd)
    cli_die (CLI_USAGE, "--step=%g does not divide --horizon=%g (T/h = %.6g)",
             h, T, nstepsd);
  if (nsteps > (UINT64_C (1) << 40))
    cli_die (CLI_USAGE, "--step=%g: more than 2^40 steps", h);
  h = T / (double)nsteps;

  double times[64];
  size_t ntimes;
  if (times_arg)
    ntimes = cli_doubles ("times", times_arg, 0, 1, T, 0, times, 64);
  else
    {
      ntimes = 4;
      for (int i = 0; i < 4; i++)
        times[i] = T * (i + 1) / 4.0;
    }
  size_t at[64];
  for (size_t i = 0; i < ntimes; i++)
    {
      double k = times[i] / h;
      at[i] = (size_t)llround (k);
      if (fabs (k - (double)at[i]) > 1e-9 * (k > 1 ? k : 1) || at[i] == 0)
        cli_die (CLI_USAGE,
                 "--times: %g is not a positive multiple of the "
                 "step %g",
                 times[i], h);
      if (i && at[i] <= at[i - 1])
        cli_die (CLI_USAGE, "--times must increase (%g after %g)", times[i],
                 times[i - 1]);
    }

  sde_rng *rng = sde_rng_alloc (rngname, seed);
  if (rng == NULL)
    cli_die (CLI_USAGE, "--rng=%s: unknown generator", rngname);
  enum
  {
    P = 1024
  };
  sde_driver *drv = sde_driver_alloc (type, &sys->sys, P);
  if (drv == NULL)
    cli_die (CLI_USAGE, "--scheme=%s: %s", scheme, cli_reason ());

  FILE *out = cli_output_open (output);
  sde_report *rep = sde_report_alloc (out, (sde_format)fmt);
  char buf[512];
  sde_report_meta (rep, "sdekit", PACKAGE_VERSION);
  sde_report_meta (rep, "command", cli_command_line ());
  snprintf (buf, sizeof buf, "%llu", (unsigned long long)seed);
  sde_report_meta (rep, "seed", buf);
  sde_report_meta (rep, "rng", sde_rng_name (rng));
  sde_report_meta (rep, "sde", sys->spec);
  snprintf (buf, sizeof buf, "%s, step %.17g, %zu steps, %llu paths",
            type->name, h, nsteps, (unsigned long long)npaths);
  sde_report_meta (rep, "scheme", buf);

  /* Blocks of P paths, accumulated in block order: the result does not
     depend on anything but the seed.  */
  sums *acc = calloc (ntimes, sizeof *acc);
  double *x = malloc (sizeof (double) * P);
  const double x0 = sys->x0[0];
  for (uint64_t p0 = 0; p0 < npaths; p0 += P)
    {
      size_t np = npaths - p0 < P ? (size_t)(npaths - p0) : P;
      for (size_t p = 0; p < np; p++)
        x[p] = x0;
      sde_noise noise = { rng, 0, p0, 1, 0 };
      size_t done = 0;
      for (size_t i = 0; i < ntimes; i++)
        {
          int st = sde_driver_apply (drv, &noise, 0.0, h, done, at[i] - done,
                                     np, x);
          if (st)
            cli_die (CLI_RUNTIME, "integration failed: %s", cli_reason ());
          done = at[i];
          double bs[5] = { 0 };
          for (size_t p = 0; p < np; p++)
            {
              double v = x[p] - x0;
              if (!isfinite (v))
                {
                  acc[i].diverged++;
                  continue;
                }
              double v2 = v * v;
              bs[1] += v;
              bs[2] += v2;
              bs[3] += v2 * v;
              bs[4] += v2 * v2;
            }
          for (int k = 1; k < 5; k++)
            acc[i].s[k] += bs[k];
        }
    }

  static const sde_column cols[] = {
    { "t", "$t$", 8, 'g', 6 },
    { "mean", "$\\hat{E} X$", 13, 'g', 7 },
    { "se_mean", "SE", 10, 'e', 2 },
    { "var", "$\\widehat{\\mathrm{Var}}\\,X$", 13, 'g', 7 },
    { "se_var", "SE", 10, 'e', 2 },
    { "exact_mean", "$E X$", 13, 'g', 7 },
    { "exact_var", "$\\mathrm{Var}\\,X$", 13, 'g', 7 },
    { "z_mean", "$z_E$", 7, 'f', 2 },
    { "z_var", "$z_V$", 7, 'f', 2 },
    { "diverged", "div.", 8, 'd', 0 },
  };
  sde_report_table (rep, "moments", cols, sizeof cols / sizeof cols[0]);
  for (size_t i = 0; i < ntimes; i++)
    {
      double n = (double)(npaths - (uint64_t)acc[i].diverged);
      double m1 = acc[i].s[1] / n, m2 = acc[i].s[2] / n;
      double m3 = acc[i].s[3] / n, m4 = acc[i].s[4] / n;
      double c2 = m2 - m1 * m1;
      double c4 = m4 - 4 * m3 * m1 + 6 * m2 * m1 * m1 - 3 * m1 * m1 * m1 * m1;
      double var = c2 * n / (n - 1);
      double se_mean = sqrt (var / n);
      double se_var = sqrt (fmax (c4 - c2 * c2, 0) / n);
      double em, ev;
      int known = sde_system_exact (sys, at[i] * h, &em, &ev) == GSL_SUCCESS;
      double mean = x0 + m1;
      sde_cell row[] = {
        SDE_CELL_D (at[i] * h),
        SDE_CELL_D (mean),
        SDE_CELL_D (se_mean),
        SDE_CELL_D (var),
        SDE_CELL_D (se_var),
        known ? SDE_CELL_D (em) : SDE_CELL_NONE,
        known ? SDE_CELL_D (ev) : SDE_CELL_NONE,
        known && se_mean > 0 ? SDE_CELL_D ((mean - em) / se_mean)
                             : SDE_CELL_NONE,
        known && se_var > 0 ? SDE_CELL_D ((var - ev) / se_var) : SDE_CELL_NONE,
        SDE_CELL_I (acc[i].diverged),
      };
      if (n < 2)
        cli_die (CLI_RUNTIME, "every path diverged by t = %g", at[i] * h);
      sde_report_row (rep, row);
    }
  sde_report_note (rep, "SE: standard errors; z: (estimate - exact) / SE, "
                        "the scheme's bias in SE units (|z| < 2: within "
                        "Monte Carlo noise)");
  if (sde_report_finish (rep) || cli_output_commit ())
    cli_die (CLI_RUNTIME, "writing the table failed");
  sde_report_free (rep);
  free (acc);
  free (x);
  sde_driver_free (drv);
  sde_rng_free (rng);
  sde_system_free (sys);
  return CLI_OK;
}
