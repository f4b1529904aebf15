/* par.c: MPI for the tools (Open MPI), or its one-process stand-in.  */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#ifdef HAVE_MPI
#include <mpi.h>
#endif

#include "par.h"
#include "sdekit/spec.h"

static int rank, size = 1;

#ifdef HAVE_MPI
static int mpi_on;

/* Whether a launcher (mpirun, srun) started us: SDEKIT_MPI=1 or 0 says
   so outright, else the variables Open MPI, PMIx, PMI-1/2 and MVAPICH
   set.  A singleton MPI_Init costs about half a second of start-up, so a
   plain run skips MPI.  */
static int
launched (void)
{
  const char *force = getenv ("SDEKIT_MPI");
  if (force && *force)
    return strcmp (force, "0") != 0;
  static const char *const vars[]
      = { "OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE", "PMI_FD",
          "MV2_COMM_WORLD_SIZE" };
  for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
    if (getenv (vars[i]))
      return 1;
  return 0;
}
#endif

void
par_init (int *argc, char ***argv)
{
#ifdef HAVE_MPI
  if (!launched ())
    {
      /* srun without an MPI plugin starts K copies that would each run
         the whole job: say so rather than write K tables.  */
      const char *nt = getenv ("SLURM_STEP_NUM_TASKS");
      if (nt && atoi (nt) > 1)
        {
          const char *prog = *argc > 0 ? strrchr ((*argv)[0], '/') : NULL;
          prog = prog ? prog + 1 : *argc > 0 ? (*argv)[0] : "sdekit";
          fprintf (stderr,
                   "%s: warning: %s tasks under srun but no MPI launcher "
                   "found: every task runs the whole job (use srun "
                   "--mpi=pmix, or SDEKIT_MPI=1)\n",
                   prog, nt);
        }
      return;
    }
  mpi_on = 1;
  MPI_Init (argc, argv);
  MPI_Comm_rank (MPI_COMM_WORLD, &rank);
  MPI_Comm_size (MPI_COMM_WORLD, &size);
  /* One writer: the other ranks' stdout goes nowhere (stderr stays, for
     errors).  */
  if (rank != 0 && freopen ("/dev/null", "w", stdout) == NULL)
    MPI_Abort (MPI_COMM_WORLD, 1);
#else
  (void)argc;
  (void)argv;
#endif
}

void
par_finalize (void)
{
#ifdef HAVE_MPI
  if (mpi_on)
    MPI_Finalize ();
#endif
}

int
par_rank (void)
{
  return rank;
}

int
par_size (void)
{
  return size;
}

int
par_agree (int bad)
{
#ifdef HAVE_MPI
  if (size > 1)
    {
      int any;
      MPI_Allreduce (&bad, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
      return any;
    }
#endif
  return bad;
}

void
par_abort (int status)
{
#ifdef HAVE_MPI
  /* Usage errors are found alike by every rank, which then end cleanly;
     anything else may be one rank's, so it takes the job down.  */
  if (size > 1 && status != 2)
    MPI_Abort (MPI_COMM_WORLD, status);
  if (size > 1)
    MPI_Finalize ();
#endif
  exit (status);
}

int
par_run (void *ctx, const sde_ensemble *e, uint64_t path0, uint64_t npaths,
         sde_ensemble_sums *s)
{
  (void)ctx;
  if (size == 1)
    return sde_ensemble_run (e, path0, npaths, s);
#ifdef HAVE_MPI
  /* Chunks [lo, hi) of this rank: contiguous blocks, so the last partial
     chunk stays with the last rank.  */
  const uint64_t nchunks = (npaths + e->chunk - 1) / e->chunk;
  const uint64_t lo = nchunks * (uint64_t)rank / (uint64_t)size;
  const uint64_t hi = nchunks * (uint64_t)(rank + 1) / (uint64_t)size;
  sde_ensemble_sums *mine = sde_ensemble_sums_alloc (e);
  /* A rank out of memory still joins the reduction below, or the others
     would wait for it forever.  */
  int st = mine ? GSL_SUCCESS : GSL_ENOMEM;
  if (mine && hi > lo)
    {
      uint64_t first = lo * e->chunk;
      uint64_t last = hi * e->chunk < npaths ? hi * e->chunk : npaths;
      st = sde_ensemble_run (e, path0 + first, last - first, mine);
    }
  /* A failure anywhere stops everyone with its status.  */
  int worst;
  MPI_Allreduce (&st, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (worst)
    {
      sde_ensemble_sums_free (mine);
      return worst;
    }
  size_t n;
  int64_t *data = sde_ensemble_sums_data (mine, &n);
  /* Integer sums are associative: the reduction is exact in any order.
     Pieces of 2^28 keep the count within an int.  */
  for (size_t off = 0; off < n; off += (size_t)1 << 28)
    {
      size_t len = n - off < ((size_t)1 << 28) ? n - off : (size_t)1 << 28;
      MPI_Allreduce (MPI_IN_PLACE, data + off, (int)len, MPI_INT64_T, MPI_SUM,
                     MPI_COMM_WORLD);
    }
  sde_ensemble_sums_merge (s, mine);
  sde_ensemble_sums_free (mine);
  return GSL_SUCCESS;
#else
  return sde_ensemble_run (e, path0, npaths, s);
#endif
}
