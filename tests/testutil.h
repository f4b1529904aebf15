/* testutil.h: helpers shared by the Check unit tests.  */
#ifndef SDEKIT_TESTUTIL_H
#define SDEKIT_TESTUTIL_H

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>

/* |a - b| <= tol * max(1, |b|): exact cases are checked to ~1e-12.  */
#define ck_assert_close(a, b, tol)                                             \
  do                                                                           \
    {                                                                          \
      double ck_a_ = (a), ck_b_ = (b), ck_t_ = (tol);                          \
      double ck_s_ = fabs (ck_b_) > 1.0 ? fabs (ck_b_) : 1.0;                  \
      ck_assert_msg (fabs (ck_a_ - ck_b_) <= ck_t_ * ck_s_,                    \
                     "%s = %.17g, expected %.17g (tol %g)", #a, ck_a_, ck_b_,  \
                     ck_t_);                                                   \
    }                                                                          \
  while (0)

/* |est - want| <= k * se: stochastic asserts are stated in standard
   errors with a fixed seed.  */
#define ck_assert_within_se(est, want, se, k)                                  \
  do                                                                           \
    {                                                                          \
      double ck_e_ = (est), ck_w_ = (want), ck_se_ = (se), ck_k_ = (k);        \
      /* A degenerate sample (SE 0) must match to rounding.  */                \
      double ck_b_ = ck_se_ > 0                                                \
                         ? ck_k_ * ck_se_                                      \
                         : 1e-9 * (fabs (ck_w_) > 1 ? fabs (ck_w_) : 1);       \
      ck_assert_msg (fabs (ck_e_ - ck_w_) <= ck_b_,                            \
                     "%s = %.10g, expected %.10g within %g SE (SE %.3g, "      \
                     "off by %.2f SE)",                                        \
                     #est, ck_e_, ck_w_, ck_k_, ck_se_,                        \
                     fabs (ck_e_ - ck_w_) / ck_se_);                           \
    }                                                                          \
  while (0)

/* Library errors come back as status codes; the tests check them.  */
static inline void
testutil_quiet_gsl (void)
{
  gsl_set_error_handler_off ();
}

/* The reason the library last reported through gsl_error, kept once
   testutil_capture_reasons has installed its (silent) handler.  */
static inline char *
testutil_reason (void)
{
  static char reason[1024];
  return reason;
}

static inline void
testutil_reason_handler (const char *reason, const char *file, int line,
                         int code)
{
  (void)file, (void)line, (void)code;
  snprintf (testutil_reason (), 1024, "%s", reason);
}

static inline void
testutil_capture_reasons (void)
{
  testutil_reason ()[0] = '\0';
  gsl_set_error_handler (testutil_reason_handler);
}

/* Runs SUITE with CK_ENV-controlled forking; returns the process status.  */
static inline int
testutil_run (Suite *s)
{
  SRunner *sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif /* SDEKIT_TESTUTIL_H */
